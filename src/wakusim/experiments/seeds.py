"""Seeds of the runs: one root ``SeedSequence`` spawned over point x replication.

Run ``k = point * replications + replication`` gets the ``k``-th child of the
root, i.e. ``SeedSequence(root_entropy, spawn_key=(k,))`` -- exactly what
``SeedSequence(root_entropy).spawn(n)[k]`` returns. A run's numbers therefore
depend only on the experiment, its point and its replication: never on the
executor, the number of workers or the order in which runs complete, and any
run can be repeated alone from the entropy and spawn key recorded with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAMPLER_STREAM = 0xFFFFFFFF


def root_entropy(seed: int | None) -> int:
    """Entropy of the root: the experiment's seed, else fresh entropy."""
    return int(seed) if seed is not None else int(np.random.SeedSequence().entropy)


def sampler_seed(entropy: int) -> int:
    """Seed of the stochastic samplers, derived from the root (a stream of its own)."""
    stream = np.random.SeedSequence(entropy, spawn_key=(SAMPLER_STREAM,))
    return int(stream.generate_state(1, dtype=np.uint32)[0])


@dataclass(frozen=True)
class RunKey:
    """Identity of one run: its point, its replication and its position in the spawn order."""

    point: int
    replication: int
    index: int
    run_id: str

    def seed_sequence(self, entropy: int) -> np.random.SeedSequence:
        """Return the run's ``SeedSequence``: child ``index`` of the root."""
        return np.random.SeedSequence(entropy, spawn_key=(self.index,))


def run_keys(n_points: int, replications: int) -> list[RunKey]:
    """Every run of an experiment in the fixed spawn order (point-major)."""
    pw = max(5, len(str(max(n_points - 1, 0))))
    rw = max(3, len(str(max(replications - 1, 0))))
    return [
        RunKey(p, r, p * replications + r, f"p{p:0{pw}d}-r{r:0{rw}d}")
        for p in range(n_points)
        for r in range(replications)
    ]
