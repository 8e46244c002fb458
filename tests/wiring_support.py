"""Helpers of the wiring tests (city services on the map and the list pages).

The expected sets come from direct SQL on the live views; "today" is computed here from the
Berlin wall clock, independently of ``buergergis.services.filters``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text

from buergergis.store.sql import layer_view

BERLIN = ZoneInfo("Europe/Berlin")
#: Layer → the date attribute that decides "past" (docs/dienste.md).
PAST = {"ferienaktionen": "ende", "stellenangebote": "bewerbungsfrist"}
T = TypeVar("T")


def berlin_today() -> date:
    """The calendar day in Hameln."""
    return datetime.now(BERLIN).date()


def on_one_day(action: Callable[[], T]) -> tuple[date, T]:
    """Run ``action`` so that it starts and ends on the same Berlin day (retries at midnight)."""
    while True:
        before = berlin_today()
        result = action()
        if berlin_today() == before:
            return before, result


def all_fids(engine: Engine, layer: str) -> set[str]:
    """Every feature id of a layer."""
    with engine.connect() as conn:
        return set(conn.execute(text(f"SELECT fid FROM {layer_view(layer)}")).scalars())  # noqa: S608


def current_fids(engine: Engine, layer: str, day: date) -> set[str]:
    """Features whose decisive date is unset or not before ``day`` (written out here)."""
    name = PAST[layer]
    sql = f'SELECT fid FROM {layer_view(layer)} WHERE "{name}" IS NULL OR "{name}" >= :d'  # noqa: S608
    with engine.connect() as conn:
        return set(conn.execute(text(sql), {"d": day}).scalars())


def lots(engine: Engine, **where: str) -> set[str]:
    """Wood lots with the given attribute values."""
    clauses = " AND ".join(f'"{k}" = :{k}' for k in where) or "TRUE"
    sql = f"SELECT fid FROM {layer_view('holzverkauf')} WHERE {clauses}"  # noqa: S608
    with engine.connect() as conn:
        return set(conn.execute(text(sql), where).scalars())


def holzarten(engine: Engine) -> set[str]:
    """The Holzarten of the wood lots."""
    sql = f"SELECT DISTINCT holzart FROM {layer_view('holzverkauf')}"  # noqa: S608
    with engine.connect() as conn:
        return set(conn.execute(text(sql)).scalars())


def offices(engine: Engine) -> list[tuple[str, str, str]]:
    """``(fid, name, oeffnungszeiten)`` of every Bürgeramt service point."""
    sql = f"SELECT fid, name, oeffnungszeiten FROM {layer_view('buergeramt')} ORDER BY gid"  # noqa: S608
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]  # type: ignore[misc]


def row_ids(page: str) -> set[str]:
    """Feature ids of the rows of a list page."""
    return set(re.findall(r'<tr id="f-([^"]+)"', page))


def layer_configs(page: str) -> dict[str, dict[str, Any]]:
    """The configs passed to ``BGIS.layer(map, {...})`` in a map page, by layer id."""
    script = "".join(re.findall(r"<script>(.*?)</script>", page, re.S))
    found = {}
    for match in re.finditer(r"BGIS\.layer\(\s*map_\w+, (\{.*?\n\})\);", script, re.S):
        config = json.loads(re.sub(r",(\s*[}\]])", r"\1", match.group(1)))
        found[config["id"]] = config
    return found
