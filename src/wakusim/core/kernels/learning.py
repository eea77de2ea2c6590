"""Compiled loops of step 7 (learning): arrests seen among contacts, Beta updates.

Each individual's month in the two illicit channels is summed up in one byte
(:func:`channel_codes`), so that the random reads of the contacts' states touch
an array of one byte per individual, which stays in cache;
:func:`seen_among_contacts` then counts what each individual sees among its
contacts in both channels (a sliding window over the ring lattice, corrected
for the rewired ties), and :func:`update_beliefs` updates both
beliefs in place from the counts, with the same floating-point operations in
the same order as :func:`wakusim.core.processes.learning.update_from_contacts`
(the plain numpy formulation the kernels are tested against). Counting and
updating in two loops took 0.64 times the time of one loop that did both (1e6
individuals, two threads, on the Intel machine of session 6), the counts held
in between (8 bytes an individual).

Every loop writes only its own rows and the counts are integers, so the
results do not depend on the number of threads.
"""

from __future__ import annotations

import numba
import numpy as np

from wakusim.core.kernels import BLOCK, kernel

# Bits of an individual's code.
SMUGGLED, SMUGGLER_CAUGHT, PARTNERED, PARTNER_CAUGHT = (np.uint8(1 << b) for b in range(4))


@kernel(parallel=True)
def channel_codes(mode: np.ndarray, caught: np.ndarray, smuggler: int, partner: int) -> np.ndarray:
    """One byte per individual: in each illicit channel this month, and caught in it.

    Parameters
    ----------
    mode
        Each individual's mode this month.
    caught
        Arrested this month.
    smuggler, partner
        The mode codes of the two illicit channels.

    Returns
    -------
    numpy.ndarray
        ``uint8``: :data:`SMUGGLED` (plus :data:`SMUGGLER_CAUGHT` if caught) for
        smugglers, :data:`PARTNERED` (plus :data:`PARTNER_CAUGHT`) for
        partners, 0 for everyone else.
    """
    n = mode.shape[0]
    code = np.empty(n, dtype=np.uint8)
    for i in numba.prange(n):
        # branch-free: (in the channel) * (bit, plus the caught bit if caught)
        m, hit = mode[i], np.uint8(caught[i])
        in_smuggler = np.uint8(m == smuggler) * (SMUGGLED + SMUGGLER_CAUGHT * hit)
        in_partner = np.uint8(m == partner) * (PARTNERED + PARTNER_CAUGHT * hit)
        code[i] = in_smuggler | in_partner
    return code


# Contacts' codes are summed in one ``uint64`` with four 16-bit fields, one per bit of the
# code: :data:`SPREAD_CODE` holds, for each byte, its bit ``b`` moved to bit ``16 b`` (bits
# above the fourth dropped), so a contact costs one table read and one addition. A field
# holds at most :data:`FIELD_MAX` contacts (a scenario's degree is at most 200).
SPREAD_CODE = np.array(
    [sum(((c >> b) & 1) << (16 * b) for b in range(4)) for c in range(256)], dtype=np.uint64
)
FIELD = np.uint64(0xFFFF)
FIELD_MAX = 0xFFFF


@kernel(parallel=True)
def partner_arrests(
    rows: np.ndarray, code: np.ndarray, company: np.ndarray, n_companies: int
) -> np.ndarray:
    """Partners and partners caught at each company.

    Only ``rows`` are read: the partners and members listed by the month's
    trade (:attr:`wakusim.core.processes.trade.TradeOutcome.attached`), a
    fifth of the population, instead of everyone (1e6: 0.42 against 1.29 ms on two threads).
    Blocks of :data:`~wakusim.core.kernels.BLOCK` rows are counted on several
    threads and their (integer) counts added.

    Parameters
    ----------
    rows
        Rows to read, among them every partner's (in any order, each once).
    code
        :func:`channel_codes` of this month.
    company
        Each individual's company (read for partners only).
    n_companies
        Number of companies.

    Returns
    -------
    numpy.ndarray
        ``int64``, ``2 x n_companies``: partners, then partners caught.

    Raises
    ------
    ValueError
        If a partner's company is not in ``0 .. n_companies - 1``.
    """
    n = rows.shape[0]
    n_blocks = max((n + BLOCK - 1) // BLOCK, 1)
    in_block = np.zeros((n_blocks, 2, n_companies), dtype=np.int64)
    out_of_range = np.zeros(n_blocks, dtype=np.bool_)
    for b in numba.prange(n_blocks):
        for j in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            u = np.uint64(rows[np.uint64(j)])  # unsigned: no negative-index check
            c = code[u]
            if c & PARTNERED:
                firm = company[u]
                if firm < 0 or firm >= n_companies:
                    out_of_range[b] = True
                else:
                    in_block[b, 0, firm] += 1
                    in_block[b, 1, firm] += (c & PARTNER_CAUGHT) != 0
    if out_of_range.any():
        raise ValueError("a partner's company is out of range")
    counts = np.zeros((2, n_companies), dtype=np.int64)
    for b in range(n_blocks):
        counts += in_block[b]
    return counts


@kernel()
def _padded(code: np.ndarray, half: int) -> np.ndarray:
    """Return the codes around the ring from ``-half`` on: ``ext[t] = code[(t - half) mod n]``.

    One more place at the end, so that the sliding window of
    :func:`seen_among_contacts` may move past the last row.
    """
    n = code.shape[0]
    ext = np.empty(n + 2 * half + 1, dtype=np.uint8)
    ext[half : half + n] = code
    for w in range(2 * half + 1):  # the places around the ring's ends: before it, after it
        t = w if w < half else n + w
        ext[t] = code[(t - half) % n]
    return ext


@kernel(parallel=True)
def seen_among_contacts(
    code: np.ndarray, offsets: np.ndarray, source: np.ndarray, slot: np.ndarray, target: np.ndarray
) -> np.ndarray:
    """Count, for each individual, its contacts in each channel and those caught in it.

    The contacts are a :class:`wakusim.core.network.ContactNetwork`: the ring
    lattice of ``half`` neighbours on each side (``offsets``), and the listed ties ``source``,
    ``slot``, ``target`` that replace lattice ties. The lattice part of the
    counts is a sliding window over the ring (each row adds the code that
    enters the window and takes away the one that leaves it, three reads
    instead of ``2 half``); then each listed tie adds its contact's code and
    takes away its lattice neighbour's. The counts are integers, so the order
    of these additions does not matter: they equal the count over
    :meth:`~wakusim.core.network.ContactNetwork.dense`, contact by contact
    (tests check). Blocks of :data:`~wakusim.core.kernels.BLOCK` rows run on
    several threads, each with the listed ties of its rows.

    Parameters
    ----------
    code
        :func:`channel_codes` of this month (one per individual).
    offsets
        The lattice offsets of a row's slots, ``1 .. half`` then ``-1 .. -half``
        (:func:`wakusim.core.network.lattice_offsets`); ``2 half`` is at most
        :data:`FIELD_MAX`.
    source, slot, target
        The listed ties, ``source`` ascending: slot ``slot[t]`` of row ``source[t]``
        leads to ``target[t]`` (``0 .. n - 1``) instead of ``source[t] + offsets[slot[t]]``.

    Returns
    -------
    numpy.ndarray
        ``uint64`` per individual, four 16-bit fields from the lowest: contacts
        smuggling, smugglers caught, contacts partnering, partners caught.

    Raises
    ------
    ValueError
        If a row has more than :data:`FIELD_MAX` slots.
    """
    if offsets.shape[0] > FIELD_MAX:
        raise ValueError("more contacts per individual than a packed count holds")
    half = offsets.shape[0] // 2
    n = code.shape[0]
    packed = np.empty(n, dtype=np.uint64)
    if n == 0:
        return packed
    ext = _padded(code, half)
    width = np.uint64(2 * half + 1)
    middle = np.uint64(half)
    n_blocks = (n + BLOCK - 1) // BLOCK
    for b in numba.prange(n_blocks):
        first, last = b * BLOCK, min(n, (b + 1) * BLOCK)
        # The window holds the codes of rows i - half .. i + half (ext[i] .. ext[i + 2 half]).
        window = np.uint64(0)
        for t in range(first, first + 2 * half + 1):
            window += SPREAD_CODE[ext[np.uint64(t)]]
        for i in range(first, last):
            u = np.uint64(i)  # unsigned: no negative-index check
            packed[u] = window - SPREAD_CODE[ext[u + middle]]
            window += SPREAD_CODE[ext[u + width]] - SPREAD_CODE[ext[u]]
        # (wrapping uint64 arithmetic: every field ends between 0 and 2 half)
        for t in range(np.searchsorted(source, first), np.searchsorted(source, last)):
            v = np.uint64(t)
            i = np.int64(source[v])
            lattice = i + half + offsets[slot[v]]
            packed[np.uint64(i)] += (
                SPREAD_CODE[code[np.uint64(target[v])]] - SPREAD_CODE[ext[np.uint64(lattice)]]
            )
    return packed


@kernel(parallel=True)
def update_beliefs(
    packed: np.ndarray,
    code: np.ndarray,
    company: np.ndarray,
    rate: np.ndarray,
    company_weight: float,
    memory: float,
    smuggler_belief: np.ndarray,
    smuggler_weight: np.ndarray,
    partner_belief: np.ndarray,
    partner_weight: np.ndarray,
) -> None:
    """Update both channels' beliefs from the counts of :func:`seen_among_contacts`, in place.

    For individual ``i``: ``n`` of its contacts in the channel and ``x`` of them
    caught give, with ``kept = memory * w``, ``w' = kept + n`` and
    ``p' = (kept * p + x) / w'`` (``p`` is kept where ``w' == 0``), in this order
    of operations in ``float64``. A partner (own code has :data:`PARTNERED`)
    with ``company_weight > 0`` also adds ``company_weight`` to ``n`` and
    ``company_weight * rate[company[i]]`` to ``x`` in its partner channel.

    Parameters
    ----------
    packed
        :func:`seen_among_contacts` of this month.
    code
        :func:`channel_codes` of this month.
    company
        Each individual's company (read for partners only).
    rate
        Arrest rate among each company's partners (read only if ``company_weight > 0``).
    company_weight
        Pseudo-observations a partner takes from its own company.
    memory
        Share of last month's evidence kept.
    smuggler_belief, smuggler_weight, partner_belief, partner_weight
        The beliefs and their weights, length ``N``, updated in place.
    """
    for i in numba.prange(packed.shape[0]):
        counts = packed[i]
        seen_s = counts & FIELD
        caught_s = (counts >> np.uint64(16)) & FIELD
        seen_p = (counts >> np.uint64(32)) & FIELD
        caught_p = counts >> np.uint64(48)
        # the smuggler channel
        kept = memory * smuggler_weight[i]
        new_weight = kept + float(seen_s)
        if new_weight > 0:
            smuggler_belief[i] = (kept * smuggler_belief[i] + float(caught_s)) / new_weight
        smuggler_weight[i] = new_weight
        # the partner channel
        seen = float(seen_p)
        arrests = float(caught_p)
        if company_weight > 0 and code[i] & PARTNERED:
            seen += company_weight
            arrests += company_weight * rate[company[i]]
        kept = memory * partner_weight[i]
        new_weight = kept + seen
        if new_weight > 0:
            partner_belief[i] = (kept * partner_belief[i] + arrests) / new_weight
        partner_weight[i] = new_weight
