"""Handing freed heap memory back to the system now and then (glibc's malloc_trim).

A long-running service allocates and frees many mid-sized objects per batch (rows, runs,
JSON documents). CPython passes those above 512 bytes to malloc, and glibc keeps the
pages they freed inside its heap: in the soak, scoring's heap held 125 MB for 79 MB in
use after 20 minutes, and its resident size crept up with it (docs/operations.md,
"Soak"). `malloc_trim(0)` returns every whole free page of the heap (not only its top)
to the system; it takes a few milliseconds for a heap of that size, so a service calls
it between batches, once a minute at most. Elsewhere than glibc it does nothing.
`usage()` says what the heap holds, in use and free (scoring exports it as a gauge: a
heap that holds much more than it uses is fragmented, not leaking).
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from typing import Any, NamedTuple

#: seconds between trims of a busy service (shared/every.py paces them)
EVERY_S = 60.0


class _Mallinfo2(ctypes.Structure):
    _fields_ = [  # glibc ≥ 2.33, struct mallinfo2: all size_t
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd",
            "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost",
        )
    ]  # fmt: skip


def _glibc(function: str, argtypes: list[Any], restype: Any) -> Callable[..., Any] | None:
    """glibc's `function`, or None where the C library lacks it (musl, macOS, old glibc)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        found: Any = getattr(ctypes.CDLL(name), function)
    except (OSError, AttributeError):
        return None
    found.argtypes, found.restype = argtypes, restype
    return found  # type: ignore[no-any-return]


_TRIM = _glibc("malloc_trim", [ctypes.c_size_t], ctypes.c_int)
_MALLINFO2 = _glibc("mallinfo2", [], _Mallinfo2)


class Usage(NamedTuple):
    """What glibc's heap holds, in bytes: its pages (the main heap and the mmapped
    blocks), of which in use, and free inside it. CPython's small objects live in its own
    arenas beside this; `sys.getallocatedblocks()` counts them."""

    held: int
    in_use: int
    free: int


def usage() -> Usage | None:
    """glibc's heap right now (None where mallinfo2 is missing); a walk of its free lists,
    fine for a metrics scrape, not for every batch."""
    if _MALLINFO2 is None:
        return None
    m = _MALLINFO2()
    return Usage(held=m.arena + m.hblkhd, in_use=m.uordblks + m.hblkhd, free=m.fordblks)


def release() -> bool:
    """Return the heap's free pages to the system now; whether any were (False where
    malloc_trim is missing)."""
    return bool(_TRIM(0)) if _TRIM is not None else False
