"""Difference between prepared replacement data and the live layer: added, removed, changed.

Features are matched by their public id (``fid``: the layer's ``id_column``, else the row
number). A feature counts as changed when its geometry moved (more than a millimetre) or a
value of an attribute present in both versions differs.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection

from buergergis.ingest.write import PreparedLayer
from buergergis.store.catalog import LayerRecord
from buergergis.store.history import live_rows

EXAMPLES = 10
TOLERANCE_M = 0.001


@dataclass(frozen=True)
class Diff:
    """Counts and example ids of the difference to the live version."""

    layer_id: str
    live_version: int
    live_count: int
    new_count: int
    added: int
    removed: int
    changed: int
    unchanged: int
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the API."""
        return dict(self.__dict__)


def normalise(value: Any, kind: str) -> Any:
    """Make live (database) and new (pandas) values comparable."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    if kind == "json":
        parsed = json.loads(value) if isinstance(value, str) else value
        return json.dumps(parsed, sort_keys=True)
    return value


def compute_diff(conn: Connection, record: LayerRecord, prepared: PreparedLayer) -> Diff:
    """Compare every feature of ``prepared`` with the live version of ``record``."""
    live_names = [a.name for a in record.attributes]
    new_attrs = {a.name: a for a in prepared.columns.attributes}
    common = [a for a in record.attributes if a.name in new_attrs]
    rows = list(live_rows(conn, record.id, tuple(common)))
    live_index = {str(r[0]): i for i, r in enumerate(rows)}
    new_index = {fid: i for i, fid in enumerate(prepared.fids)}
    added = [f for f in prepared.fids if f not in live_index]
    removed = [str(r[0]) for r in rows if str(r[0]) not in new_index]
    both = [f for f in prepared.fids if f in live_index]
    changed = _changed(both, rows, live_index, new_index, prepared, common)
    return Diff(
        layer_id=record.id,
        live_version=record.version,
        live_count=len(rows),
        new_count=len(prepared.fids),
        added=len(added),
        removed=len(removed),
        changed=len(changed),
        unchanged=len(both) - len(changed),
        columns_added=[n for n in new_attrs if n not in live_names],
        columns_removed=[n for n in live_names if n not in new_attrs],
        examples={
            "added": added[:EXAMPLES],
            "removed": removed[:EXAMPLES],
            "changed": changed[:EXAMPLES],
        },
    )


def _changed(
    both: list[str],
    rows: list[tuple[Any, ...]],
    live_index: dict[str, int],
    new_index: dict[str, int],
    prepared: PreparedLayer,
    common: list[Any],
) -> list[str]:
    if not both:
        return []
    live_pos = np.array([live_index[f] for f in both])
    new_pos = np.array([new_index[f] for f in both])
    old_geoms = shapely.from_wkb(np.array([bytes(rows[i][1]) for i in live_pos], dtype=object))
    moved = ~shapely.equals_exact(old_geoms, prepared.geoms[new_pos], tolerance=TOLERANCE_M)
    changed = set(np.flatnonzero(moved).tolist())
    for col, attr in enumerate(common, start=2):
        new_values = prepared.columns.values[attr.name]
        for k, (li, ni) in enumerate(zip(live_pos, new_pos, strict=True)):
            if k in changed:
                continue
            old = normalise(rows[li][col], attr.type)
            if old != normalise(new_values[ni], attr.type):
                changed.add(k)
    return [both[k] for k in sorted(changed)]
