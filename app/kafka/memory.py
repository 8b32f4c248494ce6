"""Gives the memory freed after a load back to the system.

A load reads every record of its partitions, payloads included, and keeps only the index:
the allocator keeps most of what was freed in its free lists, where it counts as resident
memory until something reuses it. glibc's ``malloc_trim`` returns those pages.
"""

from __future__ import annotations

import ctypes
import ctypes.util


def _malloc_trim() -> ctypes._NamedFuncPointer | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim
        return None


_TRIM = _malloc_trim()


def release_free_memory() -> None:
    if _TRIM is not None:
        _TRIM(0)
