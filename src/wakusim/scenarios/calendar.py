"""Months and dates as the scenario files write them.

A month is held as an integer count ``year * 12 + (month - 1)`` so that month
arithmetic is integer arithmetic; it is written as ``YYYY-MM``.
"""

from __future__ import annotations

import datetime as dt
import re

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")


def parse_date(value: object) -> str:
    """Normalise a scenario date to ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``.

    Parameters
    ----------
    value
        A string, a ``datetime.date`` (YAML reads ``2020-01-31`` as one) or an
        integer year.

    Returns
    -------
    str
        The normalised date text.

    Raises
    ------
    ValueError
        If the value is not a date in one of the three forms.
    """
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        raise ValueError("expected a date YYYY-MM or YYYY-MM-DD")
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError("expected a date YYYY-MM or YYYY-MM-DD")
    text = value.strip()
    try:
        if m := _DAY.match(text):
            dt.date(int(m[1]), int(m[2]), int(m[3]))
            return text
        if m := _MONTH.match(text):
            dt.date(int(m[1]), int(m[2]), 1)
            return text
        if _YEAR.match(text):
            return text
    except ValueError:
        pass
    raise ValueError("expected a date YYYY-MM or YYYY-MM-DD (a real calendar date)")


def month_index(text: str) -> int:
    """Return the first month that starts on or after a normalised date.

    ``2020-11`` and ``2020-11-01`` give November 2020; ``2020-01-31`` gives
    February 2020 (the event falls after the month began, so it shapes the next
    month); a bare year gives its January.
    """
    parts = [int(p) for p in text.split("-")]
    year = parts[0]
    month = parts[1] if len(parts) > 1 else 1
    index = year * 12 + month - 1
    if len(parts) == 3 and parts[2] > 1:
        index += 1
    return index


def month_label(index: int) -> str:
    """Write a month index as ``YYYY-MM``."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
