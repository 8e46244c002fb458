"""Attribute values as German text for pages and feeds (one formatter for both)."""

from __future__ import annotations

from datetime import date, datetime
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
    if isinstance(value, float):
        text = f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
        return text[:-3] if text.endswith(",00") else text
    return str(value)
