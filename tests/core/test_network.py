"""Small-world contact network: lattice, rewiring, degrees, clustering."""

from __future__ import annotations

import networkx as nx
import numba
import numpy as np
import pytest

from wakusim.core.network import (
    ContactNetwork,
    lattice_offsets,
    plain_small_world,
    small_world_contacts,
    to_networkx,
)


def _dense(n, k, beta, rng):
    """The contact array of :func:`small_world_contacts`."""
    return small_world_contacts(n, k, beta, rng).dense()


@pytest.mark.parametrize("beta", [0.0, 0.3, 1.0])
def test_shape_dtype_range_and_no_self_loops(beta):
    n, k = 200, 10
    contacts = _dense(n, k, beta, np.random.default_rng(1))
    assert contacts.shape == (n, k)
    assert contacts.dtype == np.int32
    assert contacts.min() >= 0 and contacts.max() < n
    assert not (contacts == np.arange(n)[:, None]).any()


def test_beta_zero_is_exact_ring_lattice():
    contacts = _dense(7, 4, 0.0, np.random.default_rng(0))
    # row i: i+1, i+2, i-1, i-2 (mod 7)
    expected = np.array(
        [
            [1, 2, 6, 5],
            [2, 3, 0, 6],
            [3, 4, 1, 0],
            [4, 5, 2, 1],
            [5, 6, 3, 2],
            [6, 0, 4, 3],
            [0, 1, 5, 4],
        ]
    )
    np.testing.assert_array_equal(contacts, expected)


def test_beta_zero_uses_no_random_numbers():
    rng = np.random.default_rng(3)
    small_world_contacts(50, 6, 0.0, rng)
    assert rng.random() == np.random.default_rng(3).random()


def test_degree_preserved_under_rewiring():
    n, k = 300, 8
    lattice = _dense(n, k, 0.0, np.random.default_rng(5))
    rewired = _dense(n, k, 0.2, np.random.default_rng(5))
    # Every individual still has exactly k contact slots; lattice in-degree is k as well.
    assert rewired.shape == lattice.shape == (n, k)
    np.testing.assert_array_equal(np.bincount(lattice.ravel(), minlength=n), np.full(n, k))
    # About beta of the ties changed (2400 ties at 20 %: sd 0.008; allow about 4 sd).
    changed = (rewired != lattice).mean()
    assert 0.2 - 0.035 < changed < 0.2 + 0.035


def test_beta_one_rewires_uniformly_over_others():
    n, k = 20, 18
    contacts = _dense(n, k, 1.0, np.random.default_rng(11))
    offsets = (contacts - np.arange(n)[:, None]) % n
    counts = np.bincount(offsets.ravel(), minlength=n)
    assert counts[0] == 0  # never oneself
    assert (counts[1:] > 0).all()  # every other individual reachable (360 draws over 19)


def test_degree_clipped_for_tiny_populations():
    assert small_world_contacts(5, 10, 0.0, np.random.default_rng(0)).shape == (5, 4)
    assert small_world_contacts(6, 10, 0.0, np.random.default_rng(0)).shape == (6, 4)
    three = _dense(3, 10, 0.0, np.random.default_rng(0))
    np.testing.assert_array_equal(three, [[1, 2], [2, 0], [0, 1]])
    assert small_world_contacts(2, 10, 0.5, np.random.default_rng(0)).shape == (2, 0)


def test_to_networkx_edges():
    contacts = small_world_contacts(7, 4, 0.0, np.random.default_rng(0))
    graph = to_networkx(contacts)
    assert graph.is_directed()
    assert graph.number_of_nodes() == 7
    assert graph.number_of_edges() == 28
    assert graph.has_edge(0, 5) and graph.has_edge(0, 1) and not graph.has_edge(0, 3)


@pytest.mark.parametrize("k", [4, 6, 10])
def test_lattice_clustering_matches_watts_strogatz(k):
    n = 100
    graph = nx.Graph(to_networkx(small_world_contacts(n, k, 0.0, np.random.default_rng(0))))
    # Ring lattice clustering C(0) = 3(k - 2) / (4(k - 1)): 0.5, 0.6, 2/3
    expected = 3 * (k - 2) / (4 * (k - 1))
    assert nx.average_clustering(graph) == pytest.approx(expected, rel=1e-12)
    assert nx.utils.graphs_equal(graph, nx.watts_strogatz_graph(n, k, 0.0))


def test_rewiring_lowers_clustering_and_path_length():
    n, k = 200, 10
    lattice = nx.Graph(to_networkx(small_world_contacts(n, k, 0.0, np.random.default_rng(2))))
    small = nx.Graph(to_networkx(small_world_contacts(n, k, 0.1, np.random.default_rng(2))))
    assert nx.average_clustering(small) < nx.average_clustering(lattice)
    assert nx.average_shortest_path_length(small) < 0.5 * nx.average_shortest_path_length(lattice)


def _offsets(k: int) -> np.ndarray:
    return lattice_offsets(k - k % 2)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("buffered", [False, True])
@pytest.mark.parametrize(
    ("n", "k", "beta", "seed"),
    [
        (2, 1, 0.5, 0),
        (3, 2, 0.5, 1),
        (7, 4, 0.3, 2),
        (20, 18, 1.0, 11),
        (5_000, 10, 0.1, 3),
        (2 * 16_384 + 3, 6, 0.7, 5),  # blocks of rows: two full ones and a short one
    ],
)
def test_compiled_rewiring_equals_numpy(n, k, beta, seed, buffered, threads):
    """Same contacts and the generator left in the same place, buffered 32-bit half included."""
    plain_rng, compiled_rng = np.random.default_rng(seed), np.random.default_rng(seed)
    if buffered:  # leave half of a 64-bit output in the 32-bit buffer
        plain_rng.integers(0, 10, size=1, dtype=np.int32)
        compiled_rng.integers(0, 10, size=1, dtype=np.int32)
    kk = min(k, n - 1 - (n - 1) % 2) if n > 2 else min(k, n - 1)
    expected = plain_small_world(n, beta, _offsets(kk), plain_rng)
    before = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        network = small_world_contacts(n, k, beta, compiled_rng)
    finally:
        numba.set_num_threads(before)
    got = network.dense()
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
    assert compiled_rng.bit_generator.state == plain_rng.bit_generator.state
    np.testing.assert_array_equal(
        compiled_rng.integers(0, 1000, size=9, dtype=np.int32),
        plain_rng.integers(0, 1000, size=9, dtype=np.int32),
    )


def test_other_bit_generators_take_the_numpy_path():
    n, k, beta = 300, 6, 0.4
    rng, reference = (np.random.Generator(np.random.MT19937(8)) for _ in range(2))
    got = small_world_contacts(n, k, beta, rng).dense()
    expected = plain_small_world(n, beta, _offsets(k), reference)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(rng.random(5), reference.random(5))


def test_only_rewired_ties_are_stored():
    n, k, beta = 50_000, 10, 0.1
    lattice = small_world_contacts(n, k, 0.0, np.random.default_rng(4))
    assert lattice.source.size == 0 and lattice.nbytes == 0
    network = small_world_contacts(n, k, beta, np.random.default_rng(4))
    ties = network.source.size
    assert abs(ties - beta * n * k) < 4 * np.sqrt(beta * (1 - beta) * n * k)
    assert network.nbytes == 9 * ties  # row and new contact int32, slot uint8
    # Listed in row-major order, at most once per slot, never to oneself.
    order = network.source.astype(np.int64) * k + network.slot
    assert (np.diff(order) > 0).all()
    assert (network.slot < k).all() and (network.target != network.source).all()
    dense = network.dense()
    np.testing.assert_array_equal(dense[network.source, network.slot], network.target)


@pytest.mark.parametrize(("n", "k"), [(1, 0), (1, 2), (3, 10), (40, 6), (1_000, 20)])
def test_from_dense_gives_back_any_array(n, k):
    rng = np.random.default_rng(n + k)
    contacts = rng.integers(0, n, size=(n, k)).astype(np.int32)
    contacts[rng.random((n, k)) < 0.5] = 0  # some ties happen to be lattice ties, some not
    network = ContactNetwork.from_dense(contacts)
    assert network.shape == (n, k) and network.half == k // 2
    np.testing.assert_array_equal(network.dense(), contacts)
    listed = np.zeros((n, k), dtype=bool)
    listed[network.source, network.slot] = True
    lattice = (np.arange(n)[:, None] + lattice_offsets(k)) % n
    np.testing.assert_array_equal(listed, contacts != lattice)  # only ties off the lattice


def test_network_rejects_odd_degrees_and_ragged_ties():
    with pytest.raises(ValueError, match="even"):
        ContactNetwork.from_dense(np.zeros((4, 3), dtype=np.int32))
    empty = np.zeros(0, dtype=np.int32)
    with pytest.raises(ValueError, match="one element per listed tie"):
        ContactNetwork(4, 2, np.zeros(1, dtype=np.int32), np.zeros(0, dtype=np.uint8), empty)


def test_networks_equal_by_their_ties():
    one = small_world_contacts(500, 6, 0.3, np.random.default_rng(9))
    same = small_world_contacts(500, 6, 0.3, np.random.default_rng(9))
    other = small_world_contacts(500, 6, 0.3, np.random.default_rng(10))
    assert one == same and one is not same
    assert one != other and one != "a network"
    assert one != ContactNetwork(501, 6, one.source, one.slot, one.target)
