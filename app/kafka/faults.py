"""Fault injection for the crash tests, set by ``SCHEDULER_FAULT``:

- ``after-target``: the process kills itself (SIGKILL) right after its first target
  records are written (``before`` makes sure of that), before their tombstones;
- ``before-write:SECONDS``: the first batch of writes stalls that long first, so that the
  group moves the partitions on and the instance wakes up a zombie.

Nobody sets the variable in production, where ``checkpoint`` compares two strings and
returns.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

_POINT, _, _STALL = os.environ.get("SCHEDULER_FAULT", "").partition(":")
_armed = bool(_POINT)


def checkpoint(point: str, before: Callable[[], object] | None = None) -> None:
    global _armed
    if not _armed or point != _POINT:
        return
    _armed = False
    if before is not None:
        before()
    if _STALL:
        time.sleep(float(_STALL))
    else:
        os.kill(os.getpid(), signal.SIGKILL)
