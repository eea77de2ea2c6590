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
        ``int32`` (or ``int64`` beyond 2**31 individuals) array; row ``i`` holds the
        contacts of ``i``, never ``i`` itself.
    """
    k = min(k, n - 1 - (n - 1) % 2) if n > 2 else min(k, n - 1)
    dtype = np.int32 if n < 2**31 else np.int64
    half = k // 2
    offsets = np.concatenate([np.arange(1, half + 1), -np.arange(1, half + 1)]).astype(dtype)
    contacts = (np.arange(n, dtype=dtype)[:, None] + offsets[None, :]) % n
    if beta > 0 and n > 1:
        rewire = rng.random(contacts.shape) < beta
        count = int(rewire.sum())
        # A uniform draw over the n - 1 others: shift draws at or above i by one.
        draw = rng.integers(0, n - 1, size=count, dtype=dtype)
        rows = np.nonzero(rewire)[0].astype(dtype)
        draw += draw >= rows
        contacts[rewire] = draw
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
