"""``wakusim.api.prepare`` readies every compiled kernel a large run uses."""

from __future__ import annotations

import subprocess
import sys


def test_prepare_loads_every_kernel_a_large_run_needs():
    # In a fresh process: count each kernel's compiled signatures after prepare(), run
    # 70,000 individuals (threaded variants in use) and check that nothing new was needed.
    script = """
import numba, wakusim
from wakusim.api import prepare
from wakusim.core import kernels
from wakusim.core.kernels import accounting, choice, enforcement, learning, records, trade

def dispatchers():
    for module in (accounting, choice, enforcement, learning, records, trade):
        for name, obj in vars(module).items():
            if isinstance(obj, kernels.SizedKernel):
                yield f"{module.__name__}.{name}.parallel", obj.parallel
                yield f"{module.__name__}.{name}.serial", obj.serial
            elif isinstance(obj, numba.core.registry.CPUDispatcher):
                yield f"{module.__name__}.{name}", obj

prepare()
before = {name: len(d.signatures) for name, d in dispatchers()}
assert sum(1 for n in before if n.endswith(".parallel")) >= 5, before
missing = [name for name, count in before.items() if count == 0]
sc = wakusim.load_scenario("history", {"population.size": 70_000, "warmup_months": 0,
                                       "end": "2019-03"})
wakusim.simulate(sc, rng=3)
after = {name: len(d.signatures) for name, d in dispatchers()}
new = [name for name in after if after[name] != before[name]]
print("NEW", new, "MISSING", missing)
assert not new, new
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
