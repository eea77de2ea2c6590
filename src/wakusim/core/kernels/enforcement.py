"""Compiled loop of step 6 (enforcement): who is caught, and what the caught lose.

:func:`catch` walks the traders once (the rows the month's trade listed, a
fifth of the population: no one else can be caught), in blocks of
:data:`BLOCK` rows on several threads, with the draws the process made and
with no branch on the mode (a mispredicted branch costs more than a
comparison); only the rows of the caught are written (the outputs come in
zeroed, by :func:`clear` on threads). The floating-point operations are
those of the numpy formulation; each row is computed on its own, so the
results do not depend on the number of threads.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from wakusim.core.kernels import BLOCK, kernel
from wakusim.core.state import PARTNER, SMUGGLER


@kernel(parallel=True)
def clear(
    caught: np.ndarray, confiscated: np.ndarray, fined: np.ndarray, detention: np.ndarray
) -> None:
    """Set the four outputs of :func:`catch` (of equal length) to ``False`` and 0, in place.

    In blocks of :data:`BLOCK` rows on several threads: numpy's ``zeros``
    fills on one (19 bytes an individual, about 1.5 ms at 1e6).
    """
    n = caught.shape[0]
    for b in prange((n + BLOCK - 1) // BLOCK):
        lo, hi = b * BLOCK, min(n, (b + 1) * BLOCK)
        caught[lo:hi] = False
        confiscated[lo:hi] = 0.0
        fined[lo:hi] = 0.0
        detention[lo:hi] = 0


@kernel(parallel=True)
def catch(
    rows: np.ndarray,
    mode: np.ndarray,
    company: np.ndarray,
    draw: np.ndarray,
    inspected: np.ndarray,
    deployed: np.ndarray,
    wealth: np.ndarray,
    detection: np.ndarray,
    fine: np.ndarray,
    months: np.ndarray,
    caught: np.ndarray,
    confiscated: np.ndarray,
    fined: np.ndarray,
    detention: np.ndarray,
) -> np.ndarray:
    """Arrests and individual punishments; which companies had a partner exposed.

    Parameters
    ----------
    rows
        The rows that may be caught: every smuggler's, partner's and member's
        (in any order, each once; others listed are never caught).
    mode, company, wealth
        Each individual's mode, company and capital.
    draw
        One uniform draw per individual.
    inspected
        Companies inspected this month.
    deployed
        Capital each individual had in goods, CNY.
    detection, fine, months
        Chance of being caught (partners: of being exposed at an inspected
        company), fine (CNY) and months of detention, for smugglers, partners
        and members (index 0, 1, 2).
    caught
        Output, all ``False`` on entry (like the three below, all zero; only
        the rows of the caught are written): a smuggler is caught if its draw
        is below ``detection[0]``, a partner if its company is inspected and
        its draw is below ``detection[1]``, a member if its draw is below
        ``detection[2]``.
    confiscated
        Output: ``deployed`` of the caught, else 0.
    fined
        Output: for the caught, ``min(fine, max(W - confiscated, 0))``, else 0.
    detention
        Output, ``int16``: the months of the caught, else 0.

    Returns
    -------
    numpy.ndarray
        Companies with at least one partner caught.
    """
    n_companies = inspected.shape[0]
    exposed = np.zeros(n_companies, dtype=np.bool_)
    # The chance by mode (infinite for partners: theirs is by company), and a partner's
    # chance by company (-1: never, at a company not inspected), with one more element,
    # infinite, for those who are not partners: the chance is the smaller of the two.
    by_mode = np.array([-1.0, detection[0], np.inf, detection[2], -1.0])
    by_company = np.full(n_companies + 1, np.inf)
    for c in range(n_companies):
        by_company[c] = detection[1] if inspected[c] else -1.0
    n = rows.shape[0]
    n_blocks = (n + BLOCK - 1) // BLOCK
    exposed_in_block = np.zeros((max(n_blocks, 1), n_companies), dtype=np.bool_)
    for b in prange(n_blocks):
        for j in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            i = rows[j]
            # No branch on the mode (tables and selects): it would often be mispredicted.
            m = mode[i]
            c = company[i]
            c = c if m == PARTNER else n_companies
            chance = min(by_mode[m], by_company[c])
            if draw[i] < chance:  # rare: almost always predicted
                k = m - SMUGGLER
                caught[i] = True
                goods = deployed[i]
                confiscated[i] = goods
                left = wealth[i] - goods
                left = left if left >= 0.0 or left != left else 0.0  # numpy.maximum(left, 0)
                f = fine[k]
                fined[i] = f if f <= left or f != f else left  # numpy.minimum(fine, left)
                detention[i] = months[k]
                if m == PARTNER:
                    exposed_in_block[b, c] = True
    for b in range(n_blocks):
        for c in range(n_companies):
            exposed[c] |= exposed_in_block[b, c]
    return exposed
