"""Compiled loops of step 6 (enforcement): who is caught, and what the caught lose.

:func:`catch` walks the traders once (the rows the month's trade listed, a
fifth of the population: no one else can be caught), in blocks of
:data:`BLOCK` rows on several threads, with the draws the process made and
with no branch on the mode (a mispredicted branch costs more than a
comparison); it only marks the caught (the mask comes in all ``False``).
:func:`punish` then computes what each of the caught loses, in the order of
their rows (a few thousand a month at 1e6: per-individual arrays of losses,
zero but for them, would cost more to fill than to compute). The
floating-point operations are those of the numpy formulation; each row is
computed on its own, so the results do not depend on the number of threads.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from wakusim.core.kernels import BLOCK, kernel
from wakusim.core.state import PARTNER, SMUGGLER


@kernel(parallel=True)
def catch(
    rows: np.ndarray,
    mode: np.ndarray,
    company: np.ndarray,
    draw: np.ndarray,
    inspected: np.ndarray,
    detection: np.ndarray,
    caught: np.ndarray,
) -> np.ndarray:
    """Arrests; which companies had a partner exposed.

    Parameters
    ----------
    rows
        The rows that may be caught: every smuggler's, partner's and member's
        (in any order, each once; others listed are never caught).
    mode, company
        Each individual's mode and company (a partner's in ``0 ..
        len(inspected) - 1``, as :func:`wakusim.core.kernels.trade.invest`
        checks: it is read unchecked).
    draw
        One uniform draw per individual.
    inspected
        Companies inspected this month.
    detection
        Chance of being caught (partners: of being exposed at an inspected
        company) for smugglers, partners and members (index 0, 1, 2).
    caught
        Output, all ``False`` on entry (only the rows of the caught are
        written): a smuggler is caught if its draw is below
        ``detection[0]``, a partner if its company is inspected and its draw
        is below ``detection[1]``, a member if its draw is below
        ``detection[2]``.

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
            i = np.uint64(rows[np.uint64(j)])  # unsigned places: no negative-index checks
            # No branch on the mode (tables and selects): it would often be mispredicted.
            m = mode[i]
            c = company[i]
            c = c if m == PARTNER else n_companies
            chance = min(by_mode[np.uint64(m)], by_company[np.uint64(c)])
            if draw[i] < chance:  # rare: almost always predicted
                caught[i] = True
                if m == PARTNER:
                    exposed_in_block[b, c] = True
    for b in range(n_blocks):
        for c in range(n_companies):
            exposed[c] |= exposed_in_block[b, c]
    return exposed


@kernel()
def punish(
    rows: np.ndarray,
    mode: np.ndarray,
    deployed: np.ndarray,
    wealth: np.ndarray,
    fine: np.ndarray,
    months: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Compute what each of the caught loses: goods, fine and months of detention.

    Parameters
    ----------
    rows
        Rows of the caught (smugglers, partners and members).
    mode, deployed, wealth
        Each individual's mode, capital in goods (CNY) and capital.
    fine, months
        Fine (CNY) and months of detention for smugglers, partners and members
        (index 0, 1, 2).

    Returns
    -------
    confiscated, fined, detention
        For each row listed: ``deployed``; ``min(fine, max(W - confiscated,
        0))``; the months (``int16``).
    """
    n = rows.shape[0]
    confiscated = np.empty(n, dtype=np.float64)
    fined = np.empty(n, dtype=np.float64)
    detention = np.empty(n, dtype=np.int16)
    for j in range(n):
        i = rows[j]
        k = mode[i] - SMUGGLER
        goods = deployed[i]
        confiscated[j] = goods
        left = wealth[i] - goods
        left = left if left >= 0.0 or left != left else 0.0  # numpy.maximum(left, 0)
        f = fine[k]
        fined[j] = f if f <= left or f != f else left  # numpy.minimum(fine, left)
        detention[j] = months[k]
    return confiscated, fined, detention
