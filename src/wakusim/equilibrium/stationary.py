"""The stationary distribution of one type's monthly Markov chain over modes.

The chain follows the simulation's order within a month. At the end of a month
an individual is in one of the free modes (outside, smuggler, partner,
member), in ``R`` (outside and bound to reconsider next month: just released,
or caught without detention), or in detention with ``k`` months left. Next
month:

1. a free individual in mode ``j`` reconsiders with probability ``r_j``
   (``revision_rate``, or 1 where the mode is no longer possible); one in
   ``R`` reconsiders for sure; a reconsidering individual draws its new mode
   from the logit probabilities ``q``;
2. it trades in that mode (the *trading* distribution ``tau``);
3. it is caught with probability ``p_j``; the caught enter detention for
   ``D_j`` months, or go to ``R`` at once if ``D_j = 0``;
4. detention counts down; those reaching zero go to ``R``.

In the stationary state, with ``Q`` the mass that reconsiders in a month and
``h_j = 1 - (1 - r_j)(1 - p_j)`` the monthly chance of leaving mode ``j``,

    tau_j = Q q_j / h_j,    x_j = tau_j (1 - p_j),    c_j = tau_j p_j,
    R = sum_j c_j,          detained = sum_j c_j D_j,

where ``x`` are the end-of-month masses of the free modes and ``c`` the
arrests; ``Q`` follows from the total mass being one. :func:`stationary`
evaluates this closed form for many types at once; :func:`transition_matrix`
builds the explicit chain (for checking the closed form).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

N_MODES = 4


@dataclass(frozen=True)
class Stationary:
    """Stationary masses of each type (rows), each row summing to one over all states.

    Attributes
    ----------
    free
        ``(n, 4)`` end-of-month masses in the free modes (``R`` not included).
    recheck
        ``(n,)`` end-of-month mass in ``R`` (counted as outside).
    detained
        ``(n,)`` end-of-month mass in detention.
    trading
        ``(n, 4)`` masses by the mode held during the month's trade.
    caught
        ``(n, 4)`` masses caught per month, by mode.
    """

    free: np.ndarray
    recheck: np.ndarray
    detained: np.ndarray
    trading: np.ndarray
    caught: np.ndarray

    @property
    def end_of_month(self) -> np.ndarray:
        """``(n, 4)`` end-of-month masses by mode, ``R`` counted as outside."""
        out = self.free.copy()
        out[:, 0] += self.recheck
        return out


def stationary(
    choice: np.ndarray, revise: np.ndarray, risk: np.ndarray, detention: np.ndarray
) -> Stationary:
    """Stationary distribution of each type's chain, in closed form.

    Parameters
    ----------
    choice
        ``(n, 4)`` choice probabilities ``q`` of a reconsidering individual.
    revise
        ``(4,)`` or ``(n, 4)`` monthly probability ``r_j`` of reconsidering in mode ``j``
        (must be positive).
    risk
        ``(4,)`` or ``(n, 4)`` monthly probability ``p_j`` of being caught in mode ``j``.
    detention
        ``(4,)`` months of detention ``D_j`` after being caught in mode ``j``.
    """
    q = np.asarray(choice, dtype=np.float64)
    r = np.broadcast_to(np.asarray(revise, dtype=np.float64), q.shape)
    p = np.broadcast_to(np.asarray(risk, dtype=np.float64), q.shape)
    d = np.asarray(detention, dtype=np.float64)
    leave = 1.0 - (1.0 - r) * (1.0 - p)
    tau = q / leave
    x = tau * (1.0 - p)
    c = tau * p
    recheck = c.sum(axis=1)
    detained = (c * d).sum(axis=1)
    total = x.sum(axis=1) + recheck + detained
    scale = 1.0 / total
    return Stationary(
        free=x * scale[:, None],
        recheck=recheck * scale,
        detained=detained * scale,
        trading=tau * scale[:, None],
        caught=c * scale[:, None],
    )


def transition_matrix(
    choice: np.ndarray, revise: np.ndarray, risk: np.ndarray, detention: np.ndarray
) -> np.ndarray:
    """Explicit monthly transition matrix of one type's chain.

    States are ``0..3`` the free modes, ``4`` the state ``R``, and ``4 + k`` for
    detention with ``k`` months left (``k = 1 .. max D``). Row ``i`` gives the
    probabilities of the state at the end of next month given state ``i`` now.

    Parameters
    ----------
    choice, revise, risk
        ``(4,)`` arrays for one type (see :func:`stationary`).
    detention
        ``(4,)`` integer months of detention.
    """
    q = np.asarray(choice, dtype=np.float64)
    r = np.asarray(revise, dtype=np.float64)
    p = np.asarray(risk, dtype=np.float64)
    d = np.asarray(detention).astype(int)
    dmax = int(d.max())
    n = N_MODES + 1 + dmax
    t = np.zeros((n, n))

    def after_trade(row: int, mass: np.ndarray) -> None:
        for j in range(N_MODES):
            t[row, j] += mass[j] * (1.0 - p[j])
            target = N_MODES if d[j] == 0 else N_MODES + d[j]
            t[row, target] += mass[j] * p[j]

    for i in range(N_MODES):
        mass = r[i] * q
        mass[i] += 1.0 - r[i]
        after_trade(i, mass)
    after_trade(N_MODES, q)
    for k in range(1, dmax + 1):
        t[N_MODES + k, N_MODES if k == 1 else N_MODES + k - 1] = 1.0
    return t
