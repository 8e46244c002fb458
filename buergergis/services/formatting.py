"""Attribute values as text for pages and feeds (one formatter for both), with units."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

#: Between a number and its unit: a no-break space, so "57.550 €" never breaks apart.
NBSP = "\u00a0"


def fmt(value: Any, unit: str | None = None, lang: str = "de") -> str:
    """A value as text in ``lang`` (German: dates dd.mm.yyyy, decimal comma, ja/nein; English:
    ISO dates, decimal point, yes/no), a number followed by its ``unit`` (``57.550 €``)."""
    if value is None:
        return ""
    en = lang == "en"
    if isinstance(value, bool):
        return ("yes" if value else "no") if en else ("ja" if value else "nein")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M" if en else "%d.%m.%Y %H:%M")
    if isinstance(value, date):
        return value.isoformat() if en else value.strftime("%d.%m.%Y")
    if isinstance(value, int | float):
        return with_unit(number(value, lang), unit)
    return str(value)


def with_unit(text: str, unit: str | None) -> str:
    """``text`` followed by a no-break space and ``unit`` (unchanged without either)."""
    return f"{text}{NBSP}{unit}" if text and unit else text


class HasUnit(Protocol):
    """An attribute definition (``catalog.models.Attribute``)."""

    name: str

    def unit_in(self, lang: str) -> str | None:
        """The unit in ``lang``."""


def units(attributes: Iterable[HasUnit], lang: str = "de") -> dict[str, str]:
    """Attribute name → unit in ``lang``, for the attributes that have one."""
    return {a.name: u for a in attributes if (u := a.unit_in(lang))}


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
