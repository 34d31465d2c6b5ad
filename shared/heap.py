"""Handing freed heap memory back to the system now and then (glibc's malloc_trim).

A long-running service allocates and frees many mid-sized objects per batch (rows, runs,
JSON documents). CPython passes those above 512 bytes to malloc, and glibc keeps the
pages they freed inside its heap: in the soak, scoring's heap held 125 MB for 79 MB in
use after 20 minutes, and its resident size crept up with it (docs/operations.md,
"Soak"). `malloc_trim(0)` returns every whole free page of the heap (not only its top)
to the system; it takes a few milliseconds for a heap of that size, so a service calls
it between batches, once a minute at most. Elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from typing import Any

#: seconds between trims of a busy service (shared/every.py paces them)
EVERY_S = 60.0


def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim: Any = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS)
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim  # type: ignore[no-any-return]


_TRIM = _malloc_trim()


def release() -> bool:
    """Return the heap's free pages to the system now; whether any were (False where
    malloc_trim is missing)."""
    return bool(_TRIM(0)) if _TRIM is not None else False
