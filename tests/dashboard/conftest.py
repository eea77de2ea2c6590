"""Shared helpers of the dashboard tests: a small population so each run takes about a second."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import wakusim.interfaces.dashboard as dashboard_pkg

APP = str(Path(dashboard_pkg.__file__).with_name("app.py"))
SMALL = 1000


@pytest.fixture(autouse=True)
def small_population(monkeypatch):
    monkeypatch.setenv("WAKUSIM_DASHBOARD_POPULATION", str(SMALL))


def new_app() -> AppTest:
    """An AppTest of the dashboard (population from WAKUSIM_DASHBOARD_POPULATION)."""
    return AppTest.from_file(APP, default_timeout=180)


@pytest.fixture
def app(small_population) -> AppTest:
    at = new_app()
    at.run()
    assert not at.exception, at.exception
    return at
