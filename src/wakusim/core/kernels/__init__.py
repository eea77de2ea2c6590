"""Compiled loops (numba) behind the monthly processes.

Each module here holds the inner loops of one process of
:mod:`wakusim.core.processes`; the process modules stay the only place where
the model's steps are called from, and they pass plain arrays and floats in.

Rules every kernel follows, so that results do not depend on the machine's
thread count:

- no random draws inside a kernel (the processes draw from the run's Generator
  and pass the draws in, in the documented order); :mod:`.draws` only computes
  the Generator's own stream from the state a process hands it, and hands back
  the state after it;
- a parallel loop writes only its own rows;
- floating-point totals are summed in a fixed order (sequentially, or in
  fixed blocks of :data:`BLOCK` rows whose partial sums are added in block
  order), never in an order set by the threads.

Compiled code is cached on disk (``cache=True``), so only the first run on a
machine pays for compilation. The number of threads is numba's
(``NUMBA_NUM_THREADS``, default: all cores). A parallel kernel is compiled
twice, with and without threads, and runs on one thread when its first
argument has fewer rows than its ``min_rows`` (default :data:`PARALLEL_MIN`):
waking threads costs more than it saves on small loops, and far more when
other programs keep the cores busy.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numba

BLOCK = 1 << 16  # rows per block of a blocked reduction
PARALLEL_MIN = 1 << 16  # rows below which a parallel kernel runs on one thread
_ALWAYS_THREADS = [False]  # set by :func:`threads_at_every_size`


def _compile(fn: Callable[..., Any], parallel: bool, inline: bool = False) -> Any:
    return numba.njit(
        cache=True,
        nogil=True,
        parallel=parallel,
        error_model="numpy",
        inline="always" if inline else "never",
    )(fn)


def _renamed(fn: Callable[..., Any], suffix: str) -> Callable[..., Any]:
    """Return a copy of ``fn`` under another name (numba names its cache files by it)."""
    copy = types.FunctionType(
        fn.__code__, fn.__globals__, fn.__name__ + suffix, fn.__defaults__, fn.__closure__
    )
    copy.__qualname__ = fn.__qualname__ + suffix
    copy.__module__ = fn.__module__
    return copy


class SizedKernel:
    """A kernel compiled with and without threads; the call picks one by the loop's size.

    Attributes
    ----------
    parallel, serial
        The two numba dispatchers.
    """

    def __init__(self, fn: Callable[..., Any], min_rows: int = PARALLEL_MIN) -> None:
        self.min_rows = min_rows
        self.parallel = _compile(fn, parallel=True)
        self.serial = _compile(_renamed(fn, "_serial"), parallel=False)
        functools.update_wrapper(self, fn)

    def __call__(self, *args: Any) -> Any:
        """Run on threads if the first argument has at least ``min_rows`` rows."""
        rows = len(args[0]) if args else 0
        threads = rows >= self.min_rows or _ALWAYS_THREADS[0]
        return (self.parallel if threads else self.serial)(*args)


@contextmanager
def threads_at_every_size() -> Iterator[None]:
    """Within the block, parallel kernels use threads whatever their size.

    Results are the same either way; this serves to load (or compile) the
    threaded variants with a tiny run, as :func:`wakusim.api.prepare` does.
    """
    _ALWAYS_THREADS[0] = True
    try:
        yield
    finally:
        _ALWAYS_THREADS[0] = False


def kernel(
    parallel: bool = False, min_rows: int = PARALLEL_MIN, inline: bool = False
) -> Callable[[Callable[..., Any]], Any]:
    """Compile a function with the project's numba settings (a decorator).

    Parameters
    ----------
    parallel
        Run ``numba.prange`` loops on several threads when the first argument
        has at least :data:`PARALLEL_MIN` rows (a :class:`SizedKernel`); such a
        kernel can only be called from Python, not from another kernel.
    min_rows
        Fewest rows for which a parallel kernel uses threads (lower it for
        loops that do much work per row).
    inline
        Insert the function's body where another kernel calls it (numba's
        ``inline="always"``), for helpers too large for the compiler to inline
        by itself in a loop that must compile to vector instructions.
    """
    if parallel:
        return functools.partial(SizedKernel, min_rows=min_rows)
    return functools.partial(_compile, parallel=False, inline=inline)
