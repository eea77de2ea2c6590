"""An independent Mesa 3 reimplementation of the wakusim model, for reference and benchmarks.

One Python object per individual and per company (:class:`Individual`,
:class:`Company`, both ``mesa.Agent``), the monthly processes as staged agent
methods, and ``mesa.DataCollector`` for the monthly records. It reads the same
validated :class:`wakusim.Scenario` and the same policy schedule
(``compile_timeline`` / ``policy_for_month``), but every rule is written again
per agent in plain Python (``math``, ``random``): it does not call wakusim's
vectorised processes. Its draws differ from wakusim's, so runs agree in
distribution, not draw for draw.
"""

from benchmarks.mesa_reference.agents import Company, Individual
from benchmarks.mesa_reference.model import WakuModel, run_reference

__all__ = ["Company", "Individual", "WakuModel", "run_reference"]
