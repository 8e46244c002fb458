"""The change log behind the Atom feeds: when each feature first appeared and last changed.

``feature_change`` holds one row per live feature with an MD5 of its published attributes
and geometry. :func:`sync` walks the kept versions the log has not seen yet, oldest first,
and compares hashes — so a feature's ``changed_at`` is the creation time of the version in
which its content last changed, not the time of the last reload. Cheap: one statement per
new version, nothing when the log is current (the usual case, checked with one query).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from buergergis.catalog.models import VectorLayer
from buergergis.catalog.parse import parse_definition
from buergergis.store.catalog import LayerRecord
from buergergis.store.services.queries import Where
from buergergis.store.sql import column, data_table, layer_view


@dataclass(frozen=True)
class Change:
    """A live feature with the times of its first appearance and its last change."""

    fid: str
    first_at: datetime
    changed_at: datetime
    first_version: int
    changed_version: int
    values: dict[str, Any]

    @property
    def is_new(self) -> bool:
        """Unchanged since it appeared."""
        return self.first_version == self.changed_version


def _hash_expr(definition: VectorLayer) -> str:
    cols = "".join(f", t.{column(a.name)}" for a in definition.attributes or ())
    return f"md5(ROW(t.fid{cols}, ST_AsEWKB(t.geom))::text)"


def apply_sql(definition: VectorLayer, table: str) -> str:
    """Upsert the hashes of one version table (params ``:id``, ``:v``, ``:at``)."""
    return f"""
INSERT INTO buergergis.feature_change AS c
    (layer_id, fid, first_version, first_at, changed_version, changed_at, row_hash)
SELECT :id, t.fid, :v, :at, :v, :at, {_hash_expr(definition)} FROM {data_table(table)} t
ON CONFLICT (layer_id, fid) DO UPDATE
SET changed_version = EXCLUDED.changed_version, changed_at = EXCLUDED.changed_at,
    row_hash = EXCLUDED.row_hash
WHERE c.row_hash IS DISTINCT FROM EXCLUDED.row_hash
"""  # noqa: S608


def _delete_sql(table: str) -> str:
    return f"""
DELETE FROM buergergis.feature_change c WHERE c.layer_id = :id
AND NOT EXISTS (SELECT 1 FROM {data_table(table)} t WHERE t.fid = c.fid)
"""  # noqa: S608


def sync(conn: Connection, layer_id: str) -> int:
    """Bring the log of one layer up to its live version; returns the version (0: none)."""
    conn.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('buergergis.feed'), hashtext(:id))"),
        {"id": layer_id},
    )
    live = conn.execute(
        text("SELECT version FROM buergergis.layer WHERE id = :id"), {"id": layer_id}
    ).scalar_one_or_none()
    seen = conn.execute(
        text("SELECT version FROM buergergis.feed_state WHERE layer_id = :id"), {"id": layer_id}
    ).scalar_one_or_none()
    if not live or seen == live:
        return live or 0
    pending = conn.execute(
        text(
            "SELECT version, created_at, data_table, definition FROM buergergis.layer_version"
            " WHERE layer_id = :id AND kept AND data_table IS NOT NULL AND version > :seen"
            " AND version <= :live ORDER BY version"
        ),
        {"id": layer_id, "seen": seen or 0, "live": live},
    ).all()
    for row in pending:
        definition = parse_definition(row.definition, f"{layer_id} v{row.version}")
        if not isinstance(definition, VectorLayer):
            continue
        params = {"id": layer_id, "v": row.version, "at": row.created_at}
        conn.execute(text(apply_sql(definition, row.data_table)), params)
        conn.execute(text(_delete_sql(row.data_table)), {"id": layer_id})
    conn.execute(
        text(
            "INSERT INTO buergergis.feed_state (layer_id, version) VALUES (:id, :v)"
            " ON CONFLICT (layer_id) DO UPDATE SET version = EXCLUDED.version"
        ),
        {"id": layer_id, "v": live},
    )
    return int(live)


def recent_sql(record: LayerRecord, names: Sequence[str], where: Where) -> str:
    """Live features joined with their change times, most recently changed first."""
    cols = "".join(f", t.{column(n)}" for n in names)
    extra = "".join(f" AND {c}" for c in where.clauses)
    return f"""
SELECT c.fid, c.first_at, c.changed_at, c.first_version, c.changed_version{cols}
FROM buergergis.feature_change c JOIN {layer_view(record.id)} t ON t.fid = c.fid
WHERE c.layer_id = :layer_id{extra}
ORDER BY c.changed_at DESC, c.changed_version DESC, c.fid
LIMIT :limit
"""  # noqa: S608


def recent(
    conn: Connection,
    record: LayerRecord,
    names: Sequence[str],
    limit: int,
    where: Where | None = None,
) -> list[Change]:
    """The ``limit`` most recently new or changed live features (call :func:`sync` first)."""
    where = where or Where()
    params = {"layer_id": record.id, "limit": limit, **where.params}
    result = conn.execute(text(recent_sql(record, names, where)), params)
    return [
        Change(
            fid=r.fid,
            first_at=r.first_at,
            changed_at=r.changed_at,
            first_version=r.first_version,
            changed_version=r.changed_version,
            values={n: r._mapping[n] for n in names},
        )
        for r in result
    ]
