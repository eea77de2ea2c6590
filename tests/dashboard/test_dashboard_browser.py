"""End to end: the real ``wakusim dashboard`` in headless Chromium (Debian's ``chromium``).

Starts the dashboard on a free loopback port at the default population, loads the
page, moves a crackdown lever and checks that the key numbers and the charts
change. Saves screenshots and the lever-to-chart time in ``test-artifacts/``.
Fails (does not skip) if Chromium is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

WAKUSIM = shutil.which("wakusim") or str(Path(sys.executable).with_name("wakusim"))
CHROMIUM = os.environ.get("WAKUSIM_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
METRIC = '[data-testid="stMetricValue"]'
CHART = '[data-testid="stVegaLiteChart"]'
LEVER = "Detention of an exposed partner (crackdown)"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install Debian's package "
            "(apt-get install -y chromium) or set WAKUSIM_CHROMIUM to the browser's path"
        )
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "WAKUSIM_DASHBOARD_POPULATION"}
    log = open(ARTIFACTS_LOG(), "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [WAKUSIM, "dashboard", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            log.close()
            pytest.fail(f"wakusim dashboard did not start: {Path(log.name).read_text()[-2000:]}")
        time.sleep(0.3)
    yield url
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()


def ARTIFACTS_LOG() -> Path:  # noqa: N802
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / "dashboard-server.log"


def test_dashboard_binds_loopback_only(server):
    assert server.startswith("http://127.0.0.1:")


def test_move_a_lever_and_the_numbers_and_charts_change(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1800})
        page.goto(server, timeout=60_000)
        page.wait_for_selector(METRIC, timeout=180_000)
        page.wait_for_function(
            f"document.querySelectorAll('{CHART} canvas, {CHART} svg').length >= 6",
            timeout=60_000,
        )
        page.wait_for_timeout(1500)  # let Vega finish drawing
        assert "20,000 individuals" in page.content()
        before = page.locator(METRIC).all_inner_texts()
        modes = page.locator(CHART).first
        chart_before = modes.screenshot()
        page.screenshot(path=str(ARTIFACTS / "dashboard-before.png"))

        field = page.get_by_role("spinbutton", name=LEVER)
        field.fill("120")
        start = time.perf_counter()
        field.press("Enter")
        page.wait_for_function(
            """([sel, old]) => {
                const now = [...document.querySelectorAll(sel)].map(e => e.innerText);
                return now.length === old.length && now.some((v, i) => v !== old[i]);
            }""",
            arg=[METRIC, before],
            timeout=180_000,
        )
        page.wait_for_function(
            "!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=180_000
        )
        page.wait_for_timeout(300)
        chart_after = page.locator(CHART).first.screenshot()
        elapsed = time.perf_counter() - start
        after = page.locator(METRIC).all_inner_texts()
        page.screenshot(path=str(ARTIFACTS / "dashboard-after.png"))
        text = page.content()
        browser.close()
    match = re.search(r"Simulated in ([0-9.]+) s", text)
    simulated = float(match.group(1)) if match else float("nan")

    assert after != before
    assert chart_after != chart_before  # the modes chart re-rendered with other data
    assert "Changed from the scenario" in text
    assert "timeline.crackdown-2024.set.enforcement.partner_detention=120" in text
    report = (
        f"lever to updated charts at 20,000 individuals: {elapsed:.2f} s "
        f"(of which simulating the edited scenario: {simulated:.1f} s; base from the cache)\n"
    )
    (ARTIFACTS / "dashboard-timing.txt").write_text(report)
    print(report)
