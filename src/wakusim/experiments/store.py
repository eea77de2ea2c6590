"""The results folder of an experiment: crash-safe, resumable, queryable.

Layout::

    OUT/
      manifest.json                 experiment, resolved base scenario, version, root seed
      points.parquet                the design: one row per point, one column per parameter
      runs/<run_id>.parquet         one row per completed run (seed, time, worker, attempts)
      statistics/<run_id>.parquet   one row per run x statistic (tidy)
      timeseries/<run_id>.parquet   one row per run x month (kept observables as columns)
      failures/<run_id>.json        error of a run that failed every attempt

Every file is written to a temporary name and renamed into place
(``os.replace``), so a file is either complete or absent. A run's data files
are written first and its ``runs/`` record last: the run counts as done only
once that record exists. A crash between the two leaves data files that the
next opening removes, and the run is simply done again (same name, same
numbers): a run is never recorded twice. Each data row carries ``run_id``,
``point``, ``replication`` and every varied parameter, so the folder can be
queried directly, e.g. with DuckDB::

    SELECT inspection_rate, avg(value) FROM 'OUT/statistics/*.parquet'
    WHERE statistic = 'share_member@2025-03' GROUP BY ALL ORDER BY ALL
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from wakusim import __version__
from wakusim.errors import WakusimInputError
from wakusim.experiments import samplers
from wakusim.experiments.schema import ExperimentPlan, plan_from_manifest
from wakusim.experiments.seeds import RunKey, root_entropy, run_keys, sampler_seed
from wakusim.experiments.tasks import TaskResult
from wakusim.outputs.results import environment, write_json

FORMAT = "wakusim-experiment-store/1"
MANIFEST = "manifest.json"
POINTS = "points.parquet"
TABLES = ("runs", "statistics", "timeseries")


class Store:
    """An experiment's results folder.

    Use :meth:`create` (new folder, or resume the same experiment) or
    :meth:`open` (read an existing one).
    """

    def __init__(self, folder: Path, manifest: dict[str, Any], plan: ExperimentPlan) -> None:
        self.folder = folder
        self.manifest = manifest
        self.plan = plan
        self.entropy = int(manifest["root_seed"]["entropy"])
        self.design = pd.read_parquet(folder / POINTS)
        self.keys: list[RunKey] = run_keys(len(self.design), plan.experiment.replications)
        params = plan.parameter_columns
        points = pa.Table.from_pandas(self.design, preserve_index=False)
        self._types = {c: points.schema.field(c).type for c in params}
        self._rows: list[dict[str, Any]] = points.select(params).to_pylist()

    @classmethod
    def create(cls, folder: str | Path, plan: ExperimentPlan) -> Store:
        """Create the folder for an experiment, or reopen it to resume the same experiment.

        Raises
        ------
        WakusimInputError
            If the folder holds a different experiment, or cannot be written.
        """
        target = Path(folder)
        if (target / MANIFEST).exists():
            store = cls.open(target)
            if _results_part(store.manifest["plan"]) != _results_part(plan.to_dict()):
                raise WakusimInputError(
                    f"{target} holds the results of a different experiment "
                    f"({store.manifest['plan']['experiment']['name']}, or the same one since "
                    "changed); choose another --out, or delete the folder"
                )
            store.plan = plan  # may differ in description, max_attempts, sensitivity
            return store
        ours = {"runs", "statistics", "timeseries", "failures", POINTS}
        if target.exists() and (
            not target.is_dir()
            or any(p.name not in ours and not p.name.startswith(".") for p in target.iterdir())
        ):
            raise WakusimInputError(
                f"cannot use {target} for results: it exists and is not an experiment folder"
            )
        try:
            for name in ("runs", "statistics", "timeseries", "failures"):
                (target / name).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WakusimInputError(f"cannot write results to {target}: {exc}") from None
        entropy = root_entropy(plan.experiment.seed)
        seed = plan.experiment.sampler.seed
        design_seed = seed if seed is not None else sampler_seed(entropy)
        design = samplers.sample(plan.experiment, design_seed)
        write_parquet(design.reset_index(), target / POINTS)
        manifest = {
            "format": FORMAT,
            "wakusim_version": __version__,
            "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "experiment": plan.experiment.name,
            "root_seed": {
                "entropy": str(entropy),
                "spawn_order": "run index = point * replications + replication; "
                "run seed = SeedSequence(entropy, spawn_key=(index,))",
            },
            "sampler_seed": design_seed,
            "points": len(design),
            "replications": plan.experiment.replications,
            "runs": len(design) * plan.experiment.replications,
            "parameters": plan.parameter_columns,
            "statistics": [s.label for s in plan.statistics],
            "timeseries": plan.timeseries,
            "environment": environment(),
            "plan": plan.to_dict(),
        }
        write_json(target / MANIFEST, manifest)
        return cls(target, manifest, plan)

    @classmethod
    def open(cls, folder: str | Path) -> Store:
        """Open an existing results folder (read its manifest and design)."""
        target = Path(folder)
        try:
            manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise WakusimInputError(
                f"{target} is not an experiment results folder ({MANIFEST}: {reason})"
            ) from None
        if manifest.get("format") != FORMAT:
            raise WakusimInputError(f"{target / MANIFEST} is not a wakusim experiment manifest")
        plan = plan_from_manifest(manifest["plan"], str(target / MANIFEST))
        return cls(target, manifest, plan)

    # -- bookkeeping -------------------------------------------------------

    def done(self) -> set[str]:
        """Ids of the runs recorded as completed."""
        return _stems(self.folder / "runs", ".parquet")

    def failures(self) -> dict[str, dict[str, Any]]:
        """Return the runs that failed every attempt: run id -> record (error, attempts)."""
        out = {}
        for path in sorted((self.folder / "failures").glob("*.json")):
            try:
                out[path.stem] = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
        return out

    def missing(self) -> list[RunKey]:
        """Return the runs not yet completed (including failed ones), in spawn order."""
        done = self.done()
        return [k for k in self.keys if k.run_id not in done]

    def lock(self) -> None:
        """Become the only writer of the folder (released when the process ends).

        Raises
        ------
        WakusimInputError
            If another process is writing to the folder.
        """
        import fcntl

        if getattr(self, "_lock", None) is not None:
            return
        handle = open(self.folder / ".lock", "a+")  # noqa: SIM115 - held for the process
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise WakusimInputError(
                f"another wakusim sweep is writing to {self.folder}; wait for it to finish"
            ) from None
        self._lock = handle

    def unlock(self) -> None:
        """Release the folder (see :meth:`lock`)."""
        handle = getattr(self, "_lock", None)
        if handle is not None:
            handle.close()
            self._lock = None

    def tidy(self) -> None:
        """Remove temporary files and data files of runs that are not recorded as done."""
        done = self.done()
        for name in ("runs", "statistics", "timeseries", "failures"):
            folder = self.folder / name
            for path in folder.glob(".*.tmp-*"):
                path.unlink(missing_ok=True)
            if name in ("statistics", "timeseries"):
                for path in folder.glob("*.parquet"):
                    if path.stem not in done:
                        path.unlink(missing_ok=True)

    def parameters_of(self, point: int) -> dict[str, Any]:
        """Values of the varied parameters at a point."""
        return dict(self._rows[point])

    def overrides_of(self, point: int) -> dict[str, Any]:
        """Return a point as scenario overrides: dotted path -> value."""
        values = self._rows[point]
        return {p.path: values[p.column] for p in self.plan.experiment.parameters}

    # -- writing -----------------------------------------------------------

    def _identity(self, key: RunKey, rows: int) -> dict[str, pa.Array]:
        columns = {
            "run_id": pa.array([key.run_id] * rows, pa.string()),
            "point": pa.array([key.point] * rows, pa.int64()),
            "replication": pa.array([key.replication] * rows, pa.int64()),
        }
        values = self._rows[key.point]
        for name, kind in self._types.items():
            columns[name] = pa.array([values[name]] * rows, kind)
        return columns

    def record(self, key: RunKey, result: TaskResult) -> None:
        """Record a completed run: data files first, then its ``runs/`` record."""
        if result.timeseries is not None:
            series = pa.Table.from_pandas(result.timeseries.reset_index(), preserve_index=False)
            columns = self._identity(key, series.num_rows)
            columns.update(zip(series.column_names, series.columns, strict=True))
            write_table(pa.table(columns), self.folder / "timeseries" / f"{key.run_id}.parquet")
        if result.statistics:
            names = list(result.statistics)
            columns = self._identity(key, len(names))
            columns["statistic"] = pa.array(names, pa.string())
            columns["value"] = pa.array([result.statistics[n] for n in names], pa.float64())
            write_table(pa.table(columns), self.folder / "statistics" / f"{key.run_id}.parquet")
        columns = self._identity(key, 1)
        columns["seed_entropy"] = pa.array([str(self.entropy)], pa.string())
        columns["spawn_key"] = pa.array([str(key.index)], pa.string())
        columns["attempts"] = pa.array([result.attempt], pa.int64())
        columns["seconds"] = pa.array([result.seconds], pa.float64())
        columns["worker"] = pa.array([result.worker], pa.string())
        write_table(pa.table(columns), self.folder / "runs" / f"{key.run_id}.parquet")
        failure = self.folder / "failures" / f"{key.run_id}.json"
        if failure.exists():
            failure.unlink()

    def record_failure(self, key: RunKey, result: TaskResult) -> None:
        """Record a run that failed its last attempt, with its error."""
        write_json(
            self.folder / "failures" / f"{key.run_id}.json",
            {
                "run_id": key.run_id,
                "point": key.point,
                "replication": key.replication,
                "parameters": self.parameters_of(key.point),
                "seed_entropy": str(self.entropy),
                "spawn_key": [key.index],
                "attempts": result.attempt,
                "worker": result.worker,
                "error": result.error,
                "failed_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            },
        )

    # -- reading -----------------------------------------------------------

    def table(self, name: str) -> pd.DataFrame:
        """One consolidated table of the completed runs, sorted by run (and month).

        Parameters
        ----------
        name
            ``runs``, ``statistics`` or ``timeseries``.
        """
        if name not in TABLES:
            raise WakusimInputError(f"unknown table {name!r}; tables: {', '.join(TABLES)}")
        done = self.done()
        files = sorted(str(p) for p in (self.folder / name).glob("*.parquet") if p.stem in done)
        if not files:
            return pd.DataFrame()
        frame = ds.dataset(files, format="parquet").to_table().to_pandas()
        order = ["run_id"] + [c for c in ("month", "statistic") if c in frame.columns]
        if "statistic" in frame.columns:
            rank = {s: i for i, s in enumerate(self.manifest.get("statistics", []))}
            frame["_rank"] = frame["statistic"].map(rank)
            order = ["run_id", "_rank"]
        frame = frame.sort_values(order, kind="stable").drop(columns="_rank", errors="ignore")
        return frame.reset_index(drop=True)


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write a pandas table atomically (see :func:`write_table`)."""
    write_table(pa.Table.from_pandas(frame, preserve_index=False), path)


def write_table(table: pa.Table, path: Path) -> None:
    """Write an Arrow table atomically: temporary file beside it, fsync, rename."""
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.stem}.", suffix=f".tmp-{os.getpid()}", dir=path.parent
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            pq.write_table(table, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _stems(folder: Path, suffix: str) -> set[str]:
    try:
        return {
            name[: -len(suffix)]
            for name in os.listdir(folder)
            if name.endswith(suffix) and not name.startswith(".")
        }
    except FileNotFoundError:
        return set()


def _normal(data: Any) -> Any:
    return json.loads(json.dumps(data, sort_keys=True, default=str))


# Fields of an experiment that do not change its runs' numbers: they may change on resume.
_FREE_FIELDS = ("description", "max_attempts", "sensitivity")


def _results_part(plan: dict[str, Any]) -> Any:
    data = _normal(plan)
    for name in _FREE_FIELDS:
        data["experiment"].pop(name, None)
    return data
