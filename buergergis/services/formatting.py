"""Attribute values as German text for pages and feeds (one formatter for both)."""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any


def fmt(value: Any) -> str:
    """A value as German text (dates dd.mm.yyyy, decimal comma, ja/nein)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, int | float):
        return number(value)
    return str(value)


CENT = Decimal("0.01")


def number(value: float, lang: str = "de") -> str:
    """A number as people write it: at most two decimals without trailing zeros, German
    ``42,5`` and ``57.550`` (English ``42.5`` and ``57,550``); numbers below 10 000 – years,
    house numbers – stay ungrouped (DIN 5008). ``static/js/layers.js`` formats popups alike."""
    if not math.isfinite(value):
        return str(value)
    # half up on the exact binary value, as JavaScript's toFixed(2) does
    rounded = Decimal(abs(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    text = f"{rounded:,.2f}".rstrip("0").rstrip(".")
    if abs(value) < 10000:
        text = text.replace(",", "")
    if value < 0 and text != "0":
        text = "-" + text
    if lang != "de":
        return text
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")
