"""Keep freed memory in the process while a run lasts (GNU C library only).

Each month allocates its outcome arrays afresh (a few of 8 bytes per
individual) and frees them when the month ends. With the C library's default
settings the freed memory goes back to the operating system at once, and the
next month gets new pages, each of which the kernel zeroes on first touch:
at 1,000,000 individuals that is about 10,000 page faults and a third of the
month's time on a 2-core machine. :func:`keep_freed_memory` asks glibc to serve
arrays up to 32 MiB from its heap and to keep freed heap memory while the run
lasts, so a month reuses the pages of the month before. Arrays above 32 MiB
(populations above 4 million) would still get a mapping of their own, given
back when freed, whatever the threshold: while the run lasts no allocation
gets one (``M_MMAP_MAX`` 0), so they come from the heap too (5,000,000
individuals: half the page faults, about a fifth less time). Results are
unchanged (only where the bytes live changes). A run's peak memory was the same
with and without (1e6, 5e6, 25M), since each month reuses what the month before
freed; a program whose arrays grow from month to month could see a higher peak.

Limits. The settings are the whole process's (other threads allocate under
them while a run lasts). A run on a thread other than the main one gets the
reuse only for arrays up to about 64 MiB (glibc's heaps for other threads are
that large at most; bigger arrays still get mappings). Memory freed after the
block stays in the process until the allocator reuses it (the heap cannot be
trimmed around what is still in use): :func:`wakusim.core.engine.run` drops its
state inside the block.

On exit the trim threshold and the number of mappings are set back to glibc's
defaults and free heap memory is returned to the system (``malloc_trim``). The
mmap threshold stays at 32 MiB, the value glibc's own dynamic threshold grows
to for programs that free large arrays. A process whose allocator is tuned
through the environment (``MALLOC_*_`` variables, ``glibc.malloc`` tunables)
is left alone. Elsewhere (macOS, Windows, musl) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameters (malloc.h)
M_MMAP_THRESHOLD = -3
M_MMAP_MAX = -4
HEAP_UP_TO = 32 * 1024 * 1024  # mmap threshold: glibc's largest (its dynamic threshold's cap)
NO_MAPPINGS = 0  # most allocations served by their own mapping while a run lasts: none
KEEP = 2**31 - 1  # trim threshold while a run lasts: never give memory back
DEFAULT_TRIM = 128 * 1024  # glibc's default trim threshold
DEFAULT_MMAP_MAX = 65536  # glibc's default number of allocations served by mappings


@functools.cache
def _glibc() -> Any | None:
    """Return the GNU C library, or ``None`` on other platforms."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.gnu_get_libc_version.restype = ctypes.c_char_p
        libc.gnu_get_libc_version()
        libc.mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
        libc.malloc_trim.argtypes = (ctypes.c_size_t,)
    except (OSError, AttributeError):  # not glibc (e.g. musl)
        return None
    return libc


_lock = threading.Lock()
_active = [0, ()]  # blocks open in the process; the settings (parameter, default) applied


def _tuned_by_environment() -> bool:
    """Whether the user set glibc's allocator through the environment (then leave it alone)."""
    names = (
        "MALLOC_MMAP_MAX_",
        "MALLOC_MMAP_THRESHOLD_",
        "MALLOC_TRIM_THRESHOLD_",
        "MALLOC_TOP_PAD_",
    )
    return any(name in os.environ for name in names) or "glibc.malloc" in os.environ.get(
        "GLIBC_TUNABLES", ""
    )


def _apply(libc: Any) -> tuple[tuple[int, int | None], ...]:
    """Apply the settings; return those applied, each with the default to restore (or None)."""
    applied = []
    for parameter, value, default in (
        (M_MMAP_THRESHOLD, HEAP_UP_TO, None),  # stays (see the module's docstring)
        (M_MMAP_MAX, NO_MAPPINGS, DEFAULT_MMAP_MAX),
        (M_TRIM_THRESHOLD, KEEP, DEFAULT_TRIM),
    ):
        if not libc.mallopt(parameter, value):
            break
        applied.append((parameter, default))
    return tuple(applied)


@contextmanager
def keep_freed_memory() -> Iterator[bool]:
    """Within the block, freed memory stays in the process for reuse (glibc).

    Blocks may nest or run at once in several threads (runs on a threaded
    Dask worker): the first to open applies the setting, the last to close
    restores the defaults of what was applied. Yields whether the whole setting
    took effect (``False`` off glibc, or if the environment tunes the allocator).
    """
    libc = _glibc()
    if libc is None or _tuned_by_environment():
        yield False
        return
    with _lock:
        if _active[0] == 0:
            _active[1] = _apply(libc)
        _active[0] += 1
        applied = len(_active[1]) == 3
    try:
        yield applied
    finally:
        with _lock:
            _active[0] -= 1
            if _active[0] == 0 and _active[1]:
                for parameter, default in reversed(_active[1]):
                    if default is not None:
                        libc.mallopt(parameter, default)
                libc.malloc_trim(0)
                _active[1] = ()
