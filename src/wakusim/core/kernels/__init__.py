"""Compiled loops (numba) behind the monthly processes.

Each module here holds the inner loops of one process of
:mod:`wakusim.core.processes`; the process modules stay the only place where
the model's steps are called from, and they pass plain arrays and floats in.

Rules every kernel follows, so that results do not depend on the machine's
thread count:

- no random draws inside a kernel (the processes draw from the run's Generator
  and pass the draws in, in the documented order);
- a parallel loop writes only its own rows;
- floating-point totals are summed in a fixed order (sequentially, or in
  fixed blocks of :data:`BLOCK` rows whose partial sums are added in block
  order), never in an order set by the threads.

Compiled code is cached on disk (``cache=True``), so only the first run on a
machine pays for compilation. The number of threads is numba's
(``NUMBA_NUM_THREADS``, default: all cores).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba

BLOCK = 1 << 16  # rows per block of a blocked reduction


def kernel(parallel: bool = False) -> Callable[[Callable[..., Any]], Any]:
    """Compile a function with the project's numba settings (a decorator).

    Parameters
    ----------
    parallel
        Run ``numba.prange`` loops on several threads.
    """
    return numba.njit(cache=True, nogil=True, parallel=parallel, error_model="numpy")
