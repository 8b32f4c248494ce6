"""How the benchmark runs schedulers: quiet logs, so that printing does not cost the measured
process time, and payload files in a directory of their own that is removed with them (a
killed process cannot remove its own, and the load-rate run writes gigabytes)."""

from __future__ import annotations

import tempfile
from contextlib import ExitStack


def bench_env(stack: ExitStack, **env: str) -> dict[str, str]:
    """The environment of one scheduler process; ``env`` wins."""
    payloads = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-payloads-"))
    return {"LOG_LEVEL": "warning", "PAYLOAD_DIR": payloads, **env}
