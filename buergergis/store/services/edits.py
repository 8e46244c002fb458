"""Single-feature attribute edits as a new layer version (one transaction, caller's).

The live version table is copied into a new version table (number from the global
sequence), the one feature is updated there, the view is re-pointed and the catalog and
history are recorded with ``action="edit"`` — exactly like a load, so tiles, OGC ETags and
every cache keyed on ``(layer, version)`` change at once, and earlier versions stay available
for rollback. The catalog row keeps its source checksum and ``definition_sha``, so
``buergergis load --changed`` does not overwrite staff edits (an explicit reload does).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from buergergis.catalog.models import COLUMN_SQL_TYPES as SQL_TYPES
from buergergis.catalog.models import Attribute, VectorLayer
from buergergis.catalog.parse import parse_definition
from buergergis.errors import Conflict, InvalidParameter, NotFound
from buergergis.store import versions
from buergergis.store.sql import column, data_table, version_table_name


@dataclass(frozen=True)
class EditResult:
    """The outcome: the new live version (or the unchanged one) and ``{name: (old, new)}``."""

    layer_id: str
    fid: str
    version: int
    previous_version: int
    changes: dict[str, tuple[Any, Any]]

    @property
    def changed(self) -> bool:
        """Whether a new version was made."""
        return self.version != self.previous_version


def _current(conn: Connection, layer_id: str) -> Any:
    row = conn.execute(
        text(
            "SELECT id, origin, version, definition, feature_count, geometry_type, bbox,"
            " storage_srid, source_checksum, report, data_table"
            " FROM buergergis.layer WHERE id = :id"
        ),
        {"id": layer_id},
    ).one_or_none()
    if row is None or not row.data_table:
        raise NotFound(f"Der Layer '{layer_id}' ist nicht geladen.")
    return row


def _attributes(definition: VectorLayer, names: list[str]) -> dict[str, Attribute]:
    known = {a.name: a for a in definition.attributes or ()}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InvalidParameter(f"Unbekannte Attribute: {', '.join(unknown)}.")
    return {n: known[n] for n in names}


def _old_values(conn: Connection, table: str, fid: str, names: list[str]) -> dict[str, Any]:
    cols = ", ".join(column(n) for n in names)
    row = conn.execute(
        text(f"SELECT {cols} FROM {data_table(table)} WHERE fid = :fid"),  # noqa: S608
        {"fid": fid},
    ).one_or_none()
    if row is None:
        raise NotFound(f"Das Objekt '{fid[:60]}' gibt es in diesem Layer nicht.")
    return dict(row._mapping)


def _copy(conn: Connection, source: str, target: str) -> None:
    src, dst = data_table(source), data_table(target)
    conn.execute(text(f"CREATE TABLE {dst} (LIKE {src} INCLUDING ALL)"))
    conn.execute(text(f"INSERT INTO {dst} SELECT * FROM {src}"))  # noqa: S608


def _update(
    conn: Connection, table: str, fid: str, values: Mapping[str, Any], attrs: dict[str, Attribute]
) -> None:
    sets, params = [], {"fid": fid}
    for i, (name, value) in enumerate(values.items()):
        sql_type = SQL_TYPES[attrs[name].type]
        sets.append(f"{column(name)} = CAST(:v{i} AS {sql_type})")
        params[f"v{i}"] = json.dumps(value) if attrs[name].type == "json" else value
    conn.execute(
        text(f"UPDATE {data_table(table)} SET {', '.join(sets)} WHERE fid = :fid"),  # noqa: S608
        params,
    )


def edit_feature(
    conn: Connection,
    layer_id: str,
    fid: str,
    values: Mapping[str, Any],
    *,
    actor: str,
    keep: int,
    expected_version: int | None = None,
) -> EditResult:
    """Set attributes of one feature in a new version (409 if the layer moved on meanwhile)."""
    versions.lock_layer(conn, layer_id)
    row = _current(conn, layer_id)
    if expected_version is not None and row.version != expected_version:
        raise Conflict(
            "Der Layer wurde inzwischen geändert (Version "
            f"{row.version} statt {expected_version}). Bitte die Seite neu laden."
        )
    definition = parse_definition(row.definition, f"catalog:{layer_id}")
    if not isinstance(definition, VectorLayer):
        raise NotFound(f"Der Layer '{layer_id}' ist kein Vektorlayer.")
    attrs = _attributes(definition, list(values))
    old = _old_values(conn, row.data_table, fid, list(values))
    changed = {k: v for k, v in values.items() if old[k] != v}
    if not changed:
        return EditResult(layer_id, fid, row.version, row.version, {})
    new = versions.next_version(conn)
    table = version_table_name(layer_id, new)
    _copy(conn, row.data_table, table)
    _update(conn, table, fid, changed, attrs)
    conn.execute(text(f"ANALYZE {data_table(table)}"))
    versions.point_view(conn, layer_id, table)
    report = {**(row.report or {}), "edit": {"fid": fid, "attributes": sorted(changed)}}
    stats = versions.VersionStats(
        feature_count=row.feature_count,
        geometry_type=row.geometry_type,
        bbox=tuple(row.bbox) if row.bbox else None,
        storage_srid=row.storage_srid,
        checksum=row.source_checksum,
        report=report,
    )
    versions.record_version(
        conn, definition, new, stats, origin=row.origin, actor=actor, action="edit",
        table_name=table,
    )  # fmt: skip
    versions.prune_versions(conn, layer_id, keep)
    return EditResult(layer_id, fid, new, row.version, {k: (old[k], changed[k]) for k in changed})
