"""Giving the C heap's free pages back to the system between one command's searches.

CP-SAT's workers free their copies of the model when a solve ends, but glibc keeps the
freed pages in its per-thread arenas, so the next solve starts on top of them. A what-if
re-plan runs four whole-model searches in turn: at 20,000 requests the process held
2.8-3.6 GB after each tier where 1.0-1.3 GB was in use, and giving the rest back before
each search lowered the peak of a re-plan with ``--time-limit 120`` from 6.0 GB to 5.4 GB
(benchmarks/findings.md).
"""

from __future__ import annotations

import ctypes
import functools


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """The C library the process runs on, when it is glibc (the only one with
    ``malloc_trim``): read from the process itself, so no library is searched for and
    no other is loaded."""
    try:
        libc = ctypes.CDLL(None)
    except OSError:  # pragma: no cover - a platform with no such handle (Windows)
        return None
    return libc if hasattr(libc, "malloc_trim") else None


def give_back() -> bool:
    """Return the heap's free pages to the system; False where the C library cannot."""
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True


__all__ = ["give_back"]
