"""Learning kernels equal the plain numpy formulation, bit for bit, on random inputs."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from wakusim.core.kernels import threads_at_every_size
from wakusim.core.kernels.learning import (
    FIELD_MAX,
    PARTNER_CAUGHT,
    PARTNERED,
    SMUGGLED,
    SMUGGLER_CAUGHT,
    channel_codes,
    partner_arrests,
    seen_among_contacts,
    update_beliefs,
)
from wakusim.core.network import ContactNetwork, lattice_offsets, small_world_contacts
from wakusim.core.processes.learning import (
    company_arrest_rates,
    observe_channels,
    update_from_contacts,
)
from wakusim.core.state import (
    CHANNEL_PARTNER,
    CHANNEL_SMUGGLER,
    MEMBER,
    NO_COMPANY,
    PARTNER,
    SMUGGLER,
)

N_COMPANIES = 7


def _month(n, rng, shares=(0.6, 0.1, 0.2, 0.05, 0.05), caught_share=0.3):
    """Random modes, arrests and companies (partners and members at a company)."""
    mode = rng.choice(5, size=n, p=shares).astype(np.int8)
    caught = rng.random(n) < caught_share
    company = rng.integers(0, N_COMPANIES, size=n).astype(np.int32)
    company[(mode != PARTNER) & (mode != MEMBER)] = NO_COMPANY
    return mode, caught, company


def _beliefs(n, rng):
    belief = rng.random((2, n))
    weight = rng.random((2, n)) * 20
    weight[:, rng.random(n) < 0.2] = 0.0  # no evidence at all: w' may be 0
    return belief, weight


def _seen(network, code):
    """:func:`seen_among_contacts` over a :class:`ContactNetwork`."""
    return seen_among_contacts(code, network.offsets, network.source, network.slot, network.target)


def _kernel(contacts, mode, caught, company, company_weight, memory, belief, weight):
    code = channel_codes(mode, caught, SMUGGLER, PARTNER)
    rate = company_arrest_rates(mode, company, caught, N_COMPANIES)
    update_beliefs(
        _seen(ContactNetwork.from_dense(contacts), code),
        code,
        company,
        rate,
        company_weight,
        memory,
        belief[CHANNEL_SMUGGLER],
        weight[CHANNEL_SMUGGLER],
        belief[CHANNEL_PARTNER],
        weight[CHANNEL_PARTNER],
    )


def _plain(contacts, mode, caught, company, company_weight, memory, belief, weight):
    rate = company_arrest_rates(mode, company, caught, N_COMPANIES)
    update_from_contacts(
        contacts, mode, caught, company, rate, company_weight, memory, belief, weight
    )


def _both(contacts, mode, caught, company, company_weight, memory, rng):
    belief, weight = _beliefs(contacts.shape[0], rng)
    b1, w1, b2, w2 = belief.copy(), weight.copy(), belief.copy(), weight.copy()
    _kernel(contacts, mode, caught, company, company_weight, memory, b1, w1)
    _plain(contacts, mode, caught, company, company_weight, memory, b2, w2)
    return (b1, w1), (b2, w2)


def test_channel_codes():
    rng = np.random.default_rng(1)
    mode, caught, _ = _month(10_000, rng)
    code = channel_codes(mode, caught, SMUGGLER, PARTNER)
    assert code.dtype == np.uint8
    smuggler, partner = mode == SMUGGLER, mode == PARTNER
    expected = (
        smuggler * SMUGGLED
        + (smuggler & caught) * SMUGGLER_CAUGHT
        + partner * PARTNERED
        + (partner & caught) * PARTNER_CAUGHT
    )
    np.testing.assert_array_equal(code, expected)
    assert channel_codes(mode[:0], caught[:0], SMUGGLER, PARTNER).shape == (0,)


@pytest.mark.parametrize("n", [0, 1, 13, 5000])
def test_partner_arrests_match_bincount(n):
    rng = np.random.default_rng(n)
    mode, caught, company = _month(n, rng)
    code = channel_codes(mode, caught, SMUGGLER, PARTNER)
    attached = np.flatnonzero((mode == PARTNER) | (mode == MEMBER))
    total, hit = partner_arrests(attached, code, company, N_COMPANIES)
    # Any rows that include every partner's, in any order, count the same.
    everyone = rng.permutation(n)
    np.testing.assert_array_equal(
        partner_arrests(everyone, code, company, N_COMPANIES), [total, hit]
    )
    partner = mode == PARTNER
    np.testing.assert_array_equal(total, np.bincount(company[partner], minlength=N_COMPANIES))
    np.testing.assert_array_equal(
        hit, np.bincount(company[partner & caught], minlength=N_COMPANIES)
    )
    rate = np.zeros(N_COMPANIES)
    np.divide(hit, total, out=rate, where=total > 0)
    np.testing.assert_array_equal(rate, company_arrest_rates(mode, company, caught, N_COMPANIES))


def test_partner_arrests_rejects_a_company_out_of_range():
    code = np.array([PARTNERED, 0], dtype=np.uint8)
    with pytest.raises(ValueError, match="out of range"):
        partner_arrests(np.arange(2), code, np.array([N_COMPANIES, 0], dtype=np.int32), N_COMPANIES)


@pytest.mark.parametrize("company_weight", [0.0, 5.0])
@pytest.mark.parametrize("memory", [0.0, 0.9, 1.0])
@pytest.mark.parametrize(
    ("n", "k"), [(1, 0), (1, 2), (3, 2), (3, 10), (50, 2), (1000, 10), (2001, 40), (300, 200)]
)
def test_kernel_equals_plain_formulation(n, k, memory, company_weight):
    rng = np.random.default_rng(n * 1000 + k)
    contacts = rng.integers(0, n, size=(n, k)).astype(np.int32)
    mode, caught, company = _month(n, rng)
    kernel, plain = _both(contacts, mode, caught, company, company_weight, memory, rng)
    for got, want in zip(kernel, plain, strict=True):
        np.testing.assert_array_equal(got, want)  # bit for bit


@pytest.mark.parametrize(
    "shares",
    [(1.0, 0, 0, 0, 0), (0.5, 0.5, 0, 0, 0), (0.5, 0, 0.5, 0, 0), (0, 0, 1.0, 0, 0)],
    ids=["nobody-illicit", "no-partners", "no-smugglers", "all-partners"],
)
@pytest.mark.parametrize("caught_share", [0.0, 0.4, 1.0])
def test_kernel_equals_plain_when_a_mode_is_empty(shares, caught_share):
    rng = np.random.default_rng(7)
    n = 3000
    contacts = small_world_contacts(n, 10, 0.3, rng).dense()
    mode, caught, company = _month(n, rng, shares, caught_share)
    kernel, plain = _both(contacts, mode, caught, company, 5.0, 0.9, rng)
    for got, want in zip(kernel, plain, strict=True):
        np.testing.assert_array_equal(got, want)


def test_kernel_on_a_small_world_with_int64_contacts():
    rng = np.random.default_rng(3)
    n = 70_001  # more than one block of rows, not a multiple of it
    contacts = small_world_contacts(n, 10, 0.3, rng).dense().astype(np.int64)
    mode, caught, company = _month(n, rng)
    kernel, plain = _both(contacts, mode, caught, company, 5.0, 0.9, rng)
    for got, want in zip(kernel, plain, strict=True):
        np.testing.assert_array_equal(got, want)


def test_kernel_does_not_depend_on_the_thread_count():
    rng = np.random.default_rng(5)
    n = 20_000
    contacts = small_world_contacts(n, 10, 0.3, rng).dense()
    mode, caught, company = _month(n, rng)
    belief, weight = _beliefs(n, rng)
    results = []
    before = numba.get_num_threads()
    try:
        with threads_at_every_size():  # the threaded variants, although n is small
            for threads in sorted({1, before}):
                numba.set_num_threads(threads)
                b, w = belief.copy(), weight.copy()
                _kernel(contacts, mode, caught, company, 5.0, 0.9, b, w)
                results.append((b, w))
    finally:
        numba.set_num_threads(before)
    for b, w in results[1:]:
        np.testing.assert_array_equal(b, results[0][0])
        np.testing.assert_array_equal(w, results[0][1])


def test_kernel_rejects_more_contacts_than_a_field_holds():
    empty = np.zeros(0, dtype=np.int32)
    with pytest.raises(ValueError, match="packed count"):
        seen_among_contacts(
            np.zeros(1, dtype=np.uint8), lattice_offsets(FIELD_MAX + 1), empty, empty, empty
        )


def test_counts_fill_a_field():
    # As many contacts as a field holds (the degree is even), all caught smugglers.
    n, k = 2, FIELD_MAX - FIELD_MAX % 2
    contacts = np.ones((n, k), dtype=np.int32)
    mode = np.array([0, SMUGGLER], dtype=np.int8)
    caught = np.array([False, True])
    company = np.full(n, NO_COMPANY, dtype=np.int32)
    belief, weight = np.full((2, n), 0.5), np.zeros((2, n))
    _kernel(contacts, mode, caught, company, 0.0, 0.9, belief, weight)
    np.testing.assert_array_equal(weight[CHANNEL_SMUGGLER], [k, k])
    np.testing.assert_array_equal(belief[CHANNEL_SMUGGLER], [1.0, 1.0])
    np.testing.assert_array_equal(weight[CHANNEL_PARTNER], [0.0, 0.0])
    np.testing.assert_array_equal(belief[CHANNEL_PARTNER], [0.5, 0.5])


@pytest.mark.parametrize("n", [0, 5, 70_001])
def test_seen_among_contacts_counts_each_field(n):
    rng = np.random.default_rng(11)
    network = (
        small_world_contacts(n, 10, 0.3, rng)
        if n > 10
        else ContactNetwork.from_dense(np.zeros((n, 10), np.int32))
    )
    contacts = network.dense()
    mode, caught, _ = _month(n, rng)
    packed = _seen(network, channel_codes(mode, caught, SMUGGLER, PARTNER))
    assert packed.dtype == np.uint64 and packed.shape == (n,)
    observed = observe_channels(contacts, mode, caught)  # the plain formulation
    wants = [*observed[CHANNEL_SMUGGLER], *observed[CHANNEL_PARTNER]]
    for field, want in enumerate(wants):
        got = (packed >> np.uint64(16 * field)) & np.uint64(0xFFFF)
        np.testing.assert_array_equal(got, want)
