"""``wakusim equilibrium``, run as a user runs it (installed script in a subprocess)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

WAKUSIM = shutil.which("wakusim") or str(Path(sys.executable).with_name("wakusim"))


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [WAKUSIM, *args], capture_output=True, text=True, cwd=cwd, timeout=300, check=False
    )


def test_equilibrium_table():
    proc = cli("equilibrium", "history", "--date", "2025-03", "--set", "population.size=5000")
    assert proc.returncode == 0, proc.stderr
    for text in ("policy of 2025-03", "member %", "revenue, total", "converged", "stable"):
        assert text in proc.stdout, text


def test_curve_writes_png(tmp_path):
    out = tmp_path / "figs" / "curve.png"
    proc = cli(
        "equilibrium",
        "--date",
        "2024-06",
        "--curve",
        "state.surrender_rate",
        "--from",
        "0",
        "--to",
        "0.8",
        "--points",
        "5",
        "--out",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "curve written to" in proc.stdout and "0.8" in proc.stdout


def test_curve_default_output_in_working_directory(tmp_path):
    proc = cli(
        "equilibrium",
        "--curve",
        "enforcement.inspection_rate",
        "--from",
        "0",
        "--to",
        "0.1",
        "--points",
        "2",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "equilibrium-curve.png").exists()


def test_user_errors_exit_2_with_one_message():
    cases = [
        (["--date", "2031-01"], "outside scenario"),
        (["--curve", "enforcement.nonsense", "--from", "0", "--to", "1"], "allowed:"),
        (["--curve", "enforcement.inspection_rate", "--from", "0", "--to", "2"], "out of range"),
        (["--curve", "enforcement.inspection_rate"], "--from"),
        (["--set", "enforcement.inspection_rate=7"], "inspection_rate"),
    ]
    for args, text in cases:
        proc = cli("equilibrium", *args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert text in proc.stderr, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
