"""The social contact network: who hears of whose arrest (M10).

Contacts form a Watts-Strogatz small world (Watts & Strogatz 1998): each
individual starts with the ``k`` nearest neighbours on a ring (``k/2`` on each
side), and each of these ties is independently rewired, with probability
``beta``, to a uniformly drawn other individual. Ties are directed ("whom I
hear from"), stored as an ``N x k`` integer array: 4k bytes per individual and
one vectorised gather to count what each individual observes.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from wakusim.core.draws import move_pcg64, pcg64_halves
from wakusim.core.kernels import network as network_kernels
from wakusim.core.kernels.draws import advance


def small_world_contacts(n: int, k: int, beta: float, rng: np.random.Generator) -> np.ndarray:
    """Build the ``n x k`` contact array.

    Parameters
    ----------
    n
        Number of individuals.
    k
        Contacts per individual (even; at most ``n - 1``).
    beta
        Probability that each lattice tie is rewired to a random individual.
    rng
        Random generator.

    Returns
    -------
    numpy.ndarray
        ``int32`` (or ``int64`` from about 2**31 individuals) array; row ``i`` holds the
        contacts of ``i``, never ``i`` itself.
    """
    k = min(k, n - 1 - (n - 1) % 2) if n > 2 else min(k, n - 1)
    dtype = np.int32 if n + k < 2**31 else np.int64  # the lattice sums i + k / 2 in it
    half = k // 2
    offsets = np.concatenate([np.arange(1, half + 1), -np.arange(1, half + 1)]).astype(dtype)
    if beta > 0 and n > 1 and type(rng.bit_generator) is np.random.PCG64:
        return _compiled_small_world(n, beta, offsets, rng)
    return plain_small_world(n, beta, offsets, rng)


def plain_small_world(
    n: int, beta: float, offsets: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Build the ring lattice with ``offsets``, each tie rewired with probability ``beta``.

    Draws ``rng.random((n, k))`` (a tie is rewired where its uniform is below
    ``beta``), then one ``rng.integers(0, n - 1)`` per rewired tie, in row-major
    order, over the others; no draws if ``beta`` is 0 or ``n`` is 1.
    """
    contacts = (np.arange(n, dtype=offsets.dtype)[:, None] + offsets[None, :]) % n
    if beta > 0 and n > 1:
        rewire = rng.random(contacts.shape) < beta
        count = int(rewire.sum())
        # A uniform draw over the n - 1 others: shift draws at or above i by one.
        draw = rng.integers(0, n - 1, size=count, dtype=offsets.dtype)
        rows = np.nonzero(rewire)[0].astype(offsets.dtype)
        draw += draw >= rows
        contacts[rewire] = draw
    return contacts


def _compiled_small_world(
    n: int, beta: float, offsets: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """:func:`plain_small_world` by compiled threads: the same draws, result and generator.

    The uniforms are computed twice in blocks of rows from the generator's PCG64
    state and never stored (:mod:`wakusim.core.kernels.network`): no ``n x k``
    float array (2 GB at 25 million individuals) and no ``numpy.nonzero`` of it.
    """
    k = offsets.size
    bitgen = rng.bit_generator
    halves = pcg64_halves(bitgen)
    counts = np.empty((n + network_kernels.ROWS - 1) // network_kernels.ROWS, dtype=np.int64)
    network_kernels.count_rewired(counts, n, k, float(beta), *halves)
    move_pcg64(bitgen, *advance(*halves, n * k))  # past the n * k uniforms
    draws = rng.integers(0, n - 1, size=int(counts.sum()), dtype=offsets.dtype)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    contacts = np.empty((n, k), dtype=offsets.dtype)
    network_kernels.write_contacts(starts, offsets, draws, float(beta), *halves, contacts)
    return contacts


def to_networkx(contacts: np.ndarray) -> nx.DiGraph:
    """Return the contact network as a directed networkx graph (edge ``i -> j``: i hears j)."""
    graph = nx.DiGraph()
    n, k = contacts.shape
    graph.add_nodes_from(range(n))
    graph.add_edges_from(
        zip(np.repeat(np.arange(n), k).tolist(), contacts.ravel().tolist(), strict=True)
    )
    return graph
