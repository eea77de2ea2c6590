"""The social contact network: who hears of whose arrest (M10).

Contacts form a Watts-Strogatz small world (Watts & Strogatz 1998): each
individual starts with the ``k`` nearest neighbours on a ring (``k/2`` on each
side), and each of these ties is independently rewired, with probability
``beta``, to a uniformly drawn other individual. Ties are directed ("whom I
hear from").

The network is stored as what it is (:class:`ContactNetwork`): the ring
lattice, which needs no storage, and the list of rewired ties, 9 bytes each
(a tenth of the ``k`` ties with the default ``beta`` of 0.1: 9 bytes an
individual instead of ``4 k`` for an ``N x k`` array). The count of what each
individual observes walks the ring with a sliding window and then corrects
for the rewired ties (:func:`wakusim.core.kernels.learning.seen_among_contacts`).
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from wakusim.core.draws import move_pcg64, pcg64_halves
from wakusim.core.kernels import network as network_kernels
from wakusim.core.kernels.draws import advance


def lattice_offsets(k: int, dtype: type = np.int32) -> np.ndarray:
    """Return the offsets of a row's ``k`` lattice ties: ``1 .. k/2``, then ``-1 .. -k/2``."""
    half = k // 2
    return np.concatenate([np.arange(1, half + 1), -np.arange(1, half + 1)]).astype(dtype)


def ring_lattice(n: int, offsets: np.ndarray) -> np.ndarray:
    """Return the ``n x k`` ring lattice: row ``i`` holds ``(i + offsets) mod n``."""
    return (np.arange(n, dtype=offsets.dtype)[:, None] + offsets[None, :]) % n


def _index_dtype(n: int, k: int) -> type:
    """Return ``int32``, or ``int64`` from about 2**31 individuals (the lattice adds ``k/2``)."""
    return np.int32 if n + k < 2**31 else np.int64


def _slot_dtype(k: int) -> type:
    """Return the narrowest unsigned type that holds a slot ``0 .. k - 1``."""
    return np.uint8 if k <= 256 else (np.uint16 if k <= 65536 else np.uint32)


@dataclass(frozen=True, eq=False)
class ContactNetwork:
    """A ring lattice of ``degree`` ties per individual, some of them rewired.

    Individual ``i``'s tie in slot ``s`` (``0 <= s < degree``) is its lattice
    neighbour ``(i + lattice_offsets(degree)[s]) mod size``, unless the tie is
    listed: tie ``t`` says that slot ``slot[t]`` of individual ``source[t]``
    leads to ``target[t]`` instead. Ties are listed in row-major order
    (``source`` ascending, slots ascending within a row), at most once per slot.

    Attributes
    ----------
    size
        Number of individuals.
    degree
        Ties per individual (even).
    source, slot, target
        The listed (rewired) ties.
    """

    size: int
    degree: int
    source: np.ndarray
    slot: np.ndarray
    target: np.ndarray

    def __post_init__(self) -> None:
        if self.degree % 2:
            raise ValueError(f"the lattice degree must be even (got {self.degree})")
        if not self.source.shape == self.slot.shape == self.target.shape:
            raise ValueError("source, slot and target must have one element per listed tie")

    def __eq__(self, other: object) -> bool:
        """Equal if of the same size and degree, with the same ties listed."""
        if not isinstance(other, ContactNetwork):
            return NotImplemented
        return (
            self.size == other.size
            and self.degree == other.degree
            and all(
                np.array_equal(a, b)
                for a, b in zip(
                    (self.source, self.slot, self.target),
                    (other.source, other.slot, other.target),
                    strict=True,
                )
            )
        )

    __hash__ = None  # type: ignore[assignment]  # (mutable arrays)

    @property
    def half(self) -> int:
        """Lattice ties on each side of an individual."""
        return self.degree // 2

    @property
    def offsets(self) -> np.ndarray:
        """The lattice offsets of a row's slots (:func:`lattice_offsets`)."""
        return lattice_offsets(self.degree, _index_dtype(self.size, self.degree))

    @property
    def shape(self) -> tuple[int, int]:
        """``(size, degree)``, the shape of :meth:`dense`."""
        return (self.size, self.degree)

    @property
    def nbytes(self) -> int:
        """Bytes held by the listed ties."""
        return int(self.source.nbytes + self.slot.nbytes + self.target.nbytes)

    def dense(self) -> np.ndarray:
        """Return the ``size x degree`` array of contacts (row ``i``: whom ``i`` hears from)."""
        contacts = ring_lattice(self.size, self.offsets)
        contacts[self.source, self.slot] = self.target
        return contacts

    @classmethod
    def from_dense(cls, contacts: np.ndarray) -> ContactNetwork:
        """Return the network of an ``N x k`` contact array (``k`` even): its off-lattice ties."""
        contacts = np.asarray(contacts)
        n, k = contacts.shape
        if k % 2:
            raise ValueError(f"the lattice degree must be even (got {k})")
        dtype = _index_dtype(n, k)
        source, slot = np.nonzero(contacts != ring_lattice(n, lattice_offsets(k, dtype)))
        return cls(
            size=n,
            degree=k,
            source=source.astype(dtype),
            slot=slot.astype(_slot_dtype(k)),
            target=contacts[source, slot].astype(dtype),
        )


def small_world_contacts(n: int, k: int, beta: float, rng: np.random.Generator) -> ContactNetwork:
    """Build the small-world contact network.

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
    ContactNetwork
        Its :meth:`~ContactNetwork.dense` array is :func:`plain_small_world`'s,
        and the generator is left where that leaves it; no contact of ``i`` is
        ``i`` itself.
    """
    k = max(min(k, n - 1), 0)  # no more ties than others,
    k -= k % 2  # and an even number (n = 2: none)
    dtype = _index_dtype(n, k)
    offsets = lattice_offsets(k, dtype)
    if beta > 0 and n > 1 and k > 0 and type(rng.bit_generator) is np.random.PCG64:
        return _compiled_small_world(n, beta, offsets, rng)
    return ContactNetwork.from_dense(plain_small_world(n, beta, offsets, rng))


def plain_small_world(
    n: int, beta: float, offsets: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Build the ring lattice with ``offsets``, each tie rewired with probability ``beta``.

    Draws ``rng.random((n, k))`` (a tie is rewired where its uniform is below
    ``beta``), then one ``rng.integers(0, n - 1)`` per rewired tie, in row-major
    order, over the others; no draws if ``beta`` is 0 or ``n`` is 1. Returns
    the ``N x k`` contact array.
    """
    contacts = ring_lattice(n, offsets)
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
) -> ContactNetwork:
    """:func:`plain_small_world` by compiled threads: the same draws, ties and generator.

    The uniforms are computed twice in blocks of rows from the generator's PCG64
    state and never stored (:mod:`wakusim.core.kernels.network`): no ``n x k``
    float array (2 GB at 25 million individuals), no ``numpy.nonzero`` of it,
    and only the rewired ties are written.
    """
    k = offsets.size
    bitgen = rng.bit_generator
    halves = pcg64_halves(bitgen)
    counts = np.empty((n + network_kernels.ROWS - 1) // network_kernels.ROWS, dtype=np.int64)
    network_kernels.count_rewired(counts, n, k, float(beta), *halves)
    move_pcg64(bitgen, *advance(*halves, n * k))  # past the n * k uniforms
    total = int(counts.sum())
    draws = rng.integers(0, n - 1, size=total, dtype=offsets.dtype)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    source = np.empty(total, dtype=offsets.dtype)
    slot = np.empty(total, dtype=_slot_dtype(k))
    network_kernels.write_rewired(starts, n, k, draws, float(beta), *halves, source, slot)
    return ContactNetwork(size=n, degree=k, source=source, slot=slot, target=draws)


def to_networkx(contacts: ContactNetwork | np.ndarray) -> nx.DiGraph:
    """Return the contact network as a directed networkx graph (edge ``i -> j``: i hears j)."""
    dense = contacts.dense() if isinstance(contacts, ContactNetwork) else contacts
    graph = nx.DiGraph()
    n, k = dense.shape
    graph.add_nodes_from(range(n))
    graph.add_edges_from(
        zip(np.repeat(np.arange(n), k).tolist(), dense.ravel().tolist(), strict=True)
    )
    return graph
