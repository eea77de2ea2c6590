"""Errors a user can cause and correct: bad scenario files, bad overrides, bad paths."""

from __future__ import annotations


class WakusimInputError(ValueError):
    """A problem with user input (a scenario file, an override, an output path).

    The message is complete and meant to be shown to the user as it is, without a
    traceback: it names the file, the field, the value and what is allowed.
    """
