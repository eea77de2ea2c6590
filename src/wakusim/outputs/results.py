"""The result of one run: the monthly time series, the manifest, and saving them."""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from wakusim.errors import WakusimInputError
from wakusim.scenarios.schema import Scenario

TIMESERIES_FILE = "timeseries.parquet"
MANIFEST_FILE = "manifest.json"


@dataclass
class SimulationResult:
    """One simulated run.

    Attributes
    ----------
    timeseries
        One row per month (index ``month``, ``YYYY-MM``), one column per observable.
    scenario
        The fully resolved scenario that was run.
    manifest
        What is needed to re-run it alone: scenario, seed, version, timing.
    markers
        ``(month, label)`` of timeline events to mark on figures.
    """

    timeseries: pd.DataFrame
    scenario: Scenario
    manifest: dict[str, Any]
    markers: list[tuple[str, str]] = field(default_factory=list)

    def save(self, directory: str | Path, figures: bool = True) -> Path:
        """Write the results folder atomically and return its path.

        The folder holds ``timeseries.parquet``, ``manifest.json`` and, unless
        ``figures`` is false, the PNG figures. Everything is written to a
        temporary folder beside the target, which then replaces the target in
        one rename: a failed save leaves no half-written folder, and an existing
        folder of the same name is replaced only once the new one is complete.
        """
        target = Path(directory)
        parent = target.parent if str(target.parent) else Path(".")
        try:
            parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=parent))
            os.chmod(staging, 0o777 & ~_umask())
        except OSError as exc:
            raise WakusimInputError(
                f"cannot write results to {target}: {exc.strerror or exc}"
            ) from None
        try:
            self.timeseries.to_parquet(staging / TIMESERIES_FILE)
            manifest = dict(self.manifest)
            manifest["files"] = [TIMESERIES_FILE, MANIFEST_FILE]
            if figures:
                from wakusim.outputs.figures import draw_all

                manifest["files"] += draw_all(self, staging)
            write_json(staging / MANIFEST_FILE, manifest)
            _swap_into_place(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return target

    @classmethod
    def load(cls, directory: str | Path) -> SimulationResult:
        """Read a results folder written by :meth:`save`."""
        from wakusim.scenarios.loader import validate_scenario

        folder = Path(directory)
        try:
            manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
            timeseries = pd.read_parquet(folder / TIMESERIES_FILE)
        except (OSError, ValueError) as exc:
            raise WakusimInputError(f"cannot read results folder {folder}: {exc}") from None
        scenario = validate_scenario(manifest["scenario"], f"{folder / MANIFEST_FILE}")
        markers = [tuple(m) for m in manifest.get("markers", [])]
        return cls(timeseries=timeseries, scenario=scenario, manifest=manifest, markers=markers)


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (temporary file, fsync, rename)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=False, default=str)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _swap_into_place(staging: Path, target: Path) -> None:
    if target.exists():
        if not target.is_dir():
            raise WakusimInputError(f"cannot write results to {target}: it is a file")
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
        try:
            os.replace(staging, target)
        except BaseException:
            os.replace(old, target)
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, target)


def environment() -> dict[str, str]:
    """Versions of Python and the main libraries, for the manifest."""
    import numpy

    return {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "pandas": pd.__version__,
        "platform": platform.platform(),
    }
