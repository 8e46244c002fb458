"""Parsing of integer request values, shared by every area (no web framework here).

Python integers have no upper bound, PostgreSQL's ``bigint`` has: a value beyond it must be
a clear 400 where it is read, not an error in the database.
"""

from __future__ import annotations

from typing import Literal

from buergergis.errors import InvalidParameter

#: A page language: German (default) or English.
Lang = Literal["de", "en"]

#: The largest value a PostgreSQL ``bigint`` holds.
BIGINT_MAX = 2**63 - 1


def parse_int(
    value: str | None, name: str, *, default: int | None = None, low: int = 0,
    high: int = BIGINT_MAX,
) -> int | None:  # fmt: skip
    """``value`` as an integer in ``[low, high]``; empty → ``default``; else a German 400."""
    if value is None or value.strip() == "":
        return default
    text = value.strip()
    if not (text.isascii() and text.lstrip("+-").isdigit()) or len(text) > 20:
        number = None
    else:
        number = int(text)
    if number is None or not low <= number <= high:
        raise InvalidParameter(
            f"Parameter '{name}': erwartet eine ganze Zahl von {low} bis {high}."
        )
    return number
