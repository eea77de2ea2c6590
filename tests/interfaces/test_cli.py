"""The command line, run as a user runs it: the installed ``wakusim`` script in a subprocess."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from wakusim.scenarios.loader import builtin_path

WAKUSIM = shutil.which("wakusim") or str(Path(sys.executable).with_name("wakusim"))
SMALL = ["--agents", "800", "--set", "warmup_months=2"]


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [WAKUSIM, *args], capture_output=True, text=True, cwd=cwd, timeout=300, check=False
    )


def test_run_writes_results_and_prints_summary(tmp_path):
    out = tmp_path / "res"
    proc = cli("run", *SMALL, "--seed", "3", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    for text in [
        "outside %",
        "partner %",
        "member %",
        "arrests, partners*",
        "revenue, FX",
        "sale value",
        "before crackdown",
        "after crackdown",
        str(out),
    ]:
        assert text in proc.stdout, text
    names = {p.name for p in out.iterdir()}
    assert {
        "timeseries.parquet",
        "manifest.json",
        "modes.png",
        "market.png",
        "revenue.png",
        "members_by_wealth.png",
    } <= names
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"]["entropy"] == "3"
    assert manifest["scenario"]["population"]["size"] == 800


def test_python_dash_m_and_set_override(tmp_path):
    out = tmp_path / "res"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "wakusim",
            "run",
            "no-crackdown",
            *SMALL,
            "--seed",
            "1",
            "--no-figures",
            "--out",
            str(out),
            "--set",
            "enforcement.inspection_rate=0.05",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario"]["name"] == "no-crackdown"
    assert manifest["scenario"]["enforcement"]["inspection_rate"] == 0.05
    assert not (out / "modes.png").exists()


def test_same_seed_same_results_from_the_cli(tmp_path):
    import pandas as pd

    for name in ("a", "b"):
        proc = cli("run", *SMALL, "--seed", "9", "--no-figures", "--out", str(tmp_path / name))
        assert proc.returncode == 0, proc.stderr
    a = pd.read_parquet(tmp_path / "a" / "timeseries.parquet")
    b = pd.read_parquet(tmp_path / "b" / "timeseries.parquet")
    pd.testing.assert_frame_equal(a, b)


def test_scenarios_list_and_show():
    proc = cli("scenarios")
    assert proc.returncode == 0
    for name in ("history", "no-crackdown", "open-border"):
        assert name in proc.stdout
    assert "without the 2024 crackdown" in proc.stdout
    shown = cli("scenarios", "show", "history")
    assert shown.returncode == 0
    assert shown.stdout == builtin_path("history").read_text()
    resolved = cli("scenarios", "show", "no-crackdown", "--resolved")
    data = yaml.safe_load(resolved.stdout)
    assert data["population"]["size"] == 20000
    assert "crackdown-2024" not in [e["id"] for e in data["timeline"]]
    bad = cli("scenarios", "show", "nope")
    assert bad.returncode == 2 and "history" in bad.stderr


def _bad_file(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load(builtin_path("history").read_text())
    edit(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("invalid value", ["enforcement.partner_detection", "-0.2", ">= 0"]),
        ("unknown key", ["population.wealthh", "unknown field", "wealth"]),
        ("malformed date", ["timeline[2]", "date", "YYYY-MM"]),
        ("wrong set path", ["--set", "market.nope", "elasticity"]),
        ("unreadable file", ["cannot read scenario file"]),
        ("missing file", ["no such file"]),
    ],
)
def test_bad_input_exit_2_with_one_clear_message(tmp_path, case, expected):
    out = tmp_path / "never"
    args: list[str] = []
    if case == "invalid value":
        path = _bad_file(tmp_path, lambda d: d["enforcement"].update(partner_detection=-0.2))
        args = [str(path)]
    elif case == "unknown key":
        path = _bad_file(tmp_path, lambda d: d["population"].update(wealthh=1))
        args = [str(path)]
    elif case == "malformed date":
        path = _bad_file(tmp_path, lambda d: d["timeline"][2].update(date="2020/11"))
        args = [str(path)]
    elif case == "wrong set path":
        args = ["history", "--set", "market.nope=1"]
    elif case == "unreadable file":
        folder = tmp_path / "folder.yaml"
        folder.mkdir()
        args = [str(folder)]
    else:
        args = [str(tmp_path / "absent.yaml")]
    proc = cli("run", *args, "--out", str(out))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stderr.startswith("error:")
    for text in expected:
        assert text in proc.stderr, (text, proc.stderr)
    if case in ("invalid value", "unknown key", "malformed date"):
        assert str(path) in proc.stderr
    assert not out.exists()


def test_output_path_under_a_file_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = cli("run", *SMALL, "--out", str(blocker / "res"))
    assert proc.returncode == 2 and "cannot write results" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]
