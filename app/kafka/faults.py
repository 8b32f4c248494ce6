"""Fault injection for the crash tests: with ``SCHEDULER_FAULT=after-target`` the process
kills itself right after its first target records are written, before their tombstones.

Nobody sets the variable in production, where ``checkpoint`` compares two strings and
returns.
"""

from __future__ import annotations

import os
import signal

_FAULT = os.environ.get("SCHEDULER_FAULT", "")


def checkpoint(name: str) -> None:
    if name == _FAULT:
        os.kill(os.getpid(), signal.SIGKILL)
