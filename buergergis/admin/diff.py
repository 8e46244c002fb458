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

from buergergis.catalog.models import Attribute
from buergergis.ingest.write import PreparedLayer
from buergergis.store.catalog import LayerRecord
from buergergis.store.history import live_rows

EXAMPLES = 10
TOLERANCE_M = 0.001


@dataclass(frozen=True)
class Diff:
    """Counts and examples of the difference to the live version.

    ``examples`` lists feature ids; ``details`` names the same features by their label (the
    layer's label attribute, else its first text attribute) and, for changed ones, each
    changed attribute (by its label) with the old and the new value.
    """

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
    details: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

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


def label_attribute(record: LayerRecord) -> Attribute | None:
    """The attribute that names a feature for people (label, else first text attribute)."""
    attrs = {a.name: a for a in record.attributes}
    style = getattr(record.definition, "style", None)
    if style is not None and style.label in attrs:
        return attrs[style.label]
    popup = getattr(record.definition, "popup", ())
    texts = [attrs[n] for n in popup if n in attrs and attrs[n].type == "text"]
    texts += [a for a in record.attributes if a.type == "text"]
    return texts[0] if texts else None


def compute_diff(conn: Connection, record: LayerRecord, prepared: PreparedLayer) -> Diff:
    """Compare every feature of ``prepared`` with the live version of ``record``."""
    live_names = [a.name for a in record.attributes]
    new_attrs = {a.name: a for a in prepared.columns.attributes}
    common = [a for a in record.attributes if a.name in new_attrs]
    rows = list(live_rows(conn, record.id, record.attributes))
    column_of = {a.name: i for i, a in enumerate(record.attributes, start=2)}
    live_index = {str(r[0]): i for i, r in enumerate(rows)}
    new_index = {fid: i for i, fid in enumerate(prepared.fids)}
    added = [f for f in prepared.fids if f not in live_index]
    removed = [str(r[0]) for r in rows if str(r[0]) not in new_index]
    both = [f for f in prepared.fids if f in live_index]
    changed = _changed(both, rows, live_index, new_index, prepared, common, column_of)
    named = _Namer(record, rows, live_index, column_of, prepared, new_index)
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
            "changed": [fid for fid, _ in changed[:EXAMPLES]],
        },
        details={
            "added": [named.new(f) for f in added[:EXAMPLES]],
            "removed": [named.live(f) for f in removed[:EXAMPLES]],
            "changed": [named.changed(f, moved) for f, moved in changed[:EXAMPLES]],
        },
    )


class _Namer:
    """Labels and old → new values of example features."""

    def __init__(
        self,
        record: LayerRecord,
        rows: list[tuple[Any, ...]],
        live_index: dict[str, int],
        column_of: dict[str, int],
        prepared: PreparedLayer,
        new_index: dict[str, int],
    ) -> None:
        self.label = label_attribute(record)
        self.record, self.rows, self.live_index = record, rows, live_index
        self.column_of, self.prepared, self.new_index = column_of, prepared, new_index

    def _old(self, fid: str, name: str) -> Any:
        return self.rows[self.live_index[fid]][self.column_of[name]]

    def _new_value(self, fid: str, name: str) -> Any:
        values = self.prepared.columns.values.get(name)
        return None if values is None else normalise(values[self.new_index[fid]], "text")

    def _text(self, value: Any) -> str:
        return "" if value is None else str(value)

    def new(self, fid: str) -> dict[str, Any]:
        name = self.label.name if self.label else None
        label = self._text(self._new_value(fid, name)) if name else ""
        return {"id": fid, "label": label or fid}

    def live(self, fid: str) -> dict[str, Any]:
        label = self._text(self._old(fid, self.label.name)) if self.label else ""
        return {"id": fid, "label": label or fid}

    def changed(self, fid: str, moved: bool) -> dict[str, Any]:
        changes = []
        for attr in self.record.attributes:
            if attr.name not in self.prepared.columns.values:
                continue
            old = normalise(self._old(fid, attr.name), attr.type)
            new = normalise(self.prepared.columns.values[attr.name][self.new_index[fid]], attr.type)
            if old != new:
                changes.append(
                    {"attribute": attr.label, "old": self._text(old), "new": self._text(new)}
                )
        return self.live(fid) | {"changes": changes, "moved": moved}


def _changed(
    both: list[str],
    rows: list[tuple[Any, ...]],
    live_index: dict[str, int],
    new_index: dict[str, int],
    prepared: PreparedLayer,
    common: list[Any],
    column_of: dict[str, int],
) -> list[tuple[str, bool]]:
    """Changed features as ``(fid, geometry moved)``, in the order of the new data."""
    if not both:
        return []
    live_pos = np.array([live_index[f] for f in both])
    new_pos = np.array([new_index[f] for f in both])
    old_geoms = shapely.from_wkb(np.array([bytes(rows[i][1]) for i in live_pos], dtype=object))
    moved = ~shapely.equals_exact(old_geoms, prepared.geoms[new_pos], tolerance=TOLERANCE_M)
    moved_set = set(np.flatnonzero(moved).tolist())
    changed = set(moved_set)
    for attr in common:
        col = column_of[attr.name]
        new_values = prepared.columns.values[attr.name]
        for k, (li, ni) in enumerate(zip(live_pos, new_pos, strict=True)):
            if k in changed:
                continue
            old = normalise(rows[li][col], attr.type)
            if old != normalise(new_values[ni], attr.type):
                changed.add(k)
    return [(both[k], k in moved_set) for k in sorted(changed)]
