"""A layer's life after publishing: new definition, hide, delete, restore, purge.

No change here touches the data: a new definition (labels, style, visibility …) is recorded
as a new version that shares the live data table or raster file, so it costs one catalog
update, yet gets a new, never reused number from the global sequence — every ETag, tile
cache key and memoised record changes at once. Deleting bumps the version too and hides the
layer (``deleted_at``); purging drops its tables and history for good.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from buergergis.catalog.models import RasterLayer, VectorLayer
from buergergis.catalog.parse import parse_definition
from buergergis.errors import Conflict, NotFound
from buergergis.store import search_index, versions
from buergergis.store.sql import data_table, layer_view


@dataclass(frozen=True)
class DeletedLayer:
    """A layer in the recycle bin (``Papierkorb``)."""

    id: str
    title: str
    kind: str
    deleted_at: datetime
    deleted_by: str
    purge_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the API."""
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "deleted_at": self.deleted_at.isoformat(),
            "deleted_by": self.deleted_by,
            "purge_at": self.purge_at.isoformat(),
        }


def _live_row(conn: Connection, layer_id: str, *, deleted: bool) -> Any:
    row = conn.execute(
        text("SELECT * FROM buergergis.layer WHERE id = :id FOR UPDATE"), {"id": layer_id}
    ).one_or_none()
    if row is None or (row.deleted_at is not None) != deleted:
        where = " im Papierkorb" if deleted else ""
        raise NotFound(f"Layer '{layer_id}' gibt es{where} nicht.")
    if row.version <= 0:
        raise Conflict(f"Layer '{layer_id}' ist noch nicht geladen.")
    return row


def _stats(row: Any) -> versions.VersionStats:
    return versions.VersionStats(
        feature_count=row.feature_count,
        geometry_type=row.geometry_type,
        bbox=tuple(row.bbox) if row.bbox else None,
        storage_srid=row.storage_srid,
        checksum=row.source_checksum,
        report=row.report or {},
    )


def change_definition(
    conn: Connection,
    definition: VectorLayer | RasterLayer,
    *,
    actor: str,
    action: str,
    expected_version: int | None = None,
) -> int:
    """Make ``definition`` live for the layer's current data; returns the new version."""
    versions.lock_layer(conn, definition.id)
    row = _live_row(conn, definition.id, deleted=False)
    if expected_version is not None and row.version != expected_version:
        raise Conflict(
            "Der Layer wurde inzwischen geändert. Bitte die Seite neu laden und erneut speichern."
        )
    new = versions.next_version(conn)
    versions.record_version(
        conn,
        definition,
        new,
        _stats(row),
        origin=row.origin,
        actor=actor,
        action=action,
        table_name=row.data_table,
        raster_path=row.raster_path,
    )
    return new


def delete(conn: Connection, layer_id: str, *, actor: str) -> int:
    """Hide the layer everywhere (recycle bin); data and versions stay until purged."""
    versions.lock_layer(conn, layer_id)
    _live_row(conn, layer_id, deleted=False)
    new = versions.next_version(conn)
    conn.execute(
        text(
            "UPDATE buergergis.layer SET deleted_at = now(), deleted_by = :actor,"
            " public = false, version = :v WHERE id = :id"
        ),
        {"id": layer_id, "actor": actor, "v": new},
    )
    conn.execute(
        text("SELECT pg_notify('buergergis_layers', :payload)"), {"payload": f"{layer_id}:{new}"}
    )
    return new


def restore(conn: Connection, layer_id: str, *, actor: str) -> int:
    """Bring a deleted layer back as it was (visibility included), as a new version."""
    versions.lock_layer(conn, layer_id)
    row = _live_row(conn, layer_id, deleted=True)
    definition = parse_definition(row.definition, f"catalog:{layer_id}")
    conn.execute(
        text("UPDATE buergergis.layer SET deleted_at = NULL, deleted_by = NULL WHERE id = :id"),
        {"id": layer_id},
    )
    new = versions.next_version(conn)
    versions.record_version(
        conn,
        definition,
        new,
        _stats(row),
        origin=row.origin,
        actor=actor,
        action="restore",
        table_name=row.data_table,
        raster_path=row.raster_path,
    )
    return new


def attributes_of_data(conn: Connection, layer_id: str, table: str) -> list[dict[str, Any]]:
    """Attribute definitions of all versions sharing data table ``table``, newest first."""
    rows = conn.execute(
        text(
            "SELECT definition->'attributes' FROM buergergis.layer_version"
            " WHERE layer_id = :id AND data_table = :table ORDER BY version DESC"
        ),
        {"id": layer_id, "table": table},
    ).scalars()
    return [item for attributes in rows for item in attributes or []]


def in_trash(conn: Connection, layer_id: str) -> bool:
    """Whether the layer lies in the recycle bin (its id stays taken until it is purged)."""
    return bool(
        conn.execute(
            text("SELECT deleted_at IS NOT NULL FROM buergergis.layer WHERE id = :id"),
            {"id": layer_id},
        ).scalar()
    )


def deleted_layers(conn: Connection, keep_days: int) -> list[DeletedLayer]:
    """Layers in the recycle bin, most recently deleted first."""
    rows = conn.execute(
        text(
            "SELECT id, definition->>'title' AS title, kind, deleted_at,"
            " coalesce(deleted_by, '') AS deleted_by,"
            " deleted_at + make_interval(days => :days) AS purge_at"
            " FROM buergergis.layer WHERE deleted_at IS NOT NULL ORDER BY deleted_at DESC"
        ),
        {"days": keep_days},
    )
    return [DeletedLayer(*r) for r in rows]


def purgeable(conn: Connection, keep_days: int) -> list[str]:
    """Ids of deleted layers whose restore period is over."""
    rows = conn.execute(
        text(
            "SELECT id FROM buergergis.layer WHERE deleted_at IS NOT NULL"
            " AND deleted_at <= now() - make_interval(days => :days) ORDER BY id"
        ),
        {"days": keep_days},
    )
    return [r.id for r in rows]


def purge(conn: Connection, layer_id: str) -> list[str]:
    """Drop a deleted layer with every version; returns raster files to delete after commit."""
    versions.lock_layer(conn, layer_id)
    _live_row(conn, layer_id, deleted=True)
    rows = conn.execute(
        text(
            "SELECT data_table, raster_path FROM buergergis.layer_version WHERE layer_id = :id"
            " UNION SELECT data_table, raster_path FROM buergergis.layer WHERE id = :id"
        ),
        {"id": layer_id},
    ).all()
    conn.execute(text(f"DROP VIEW IF EXISTS {layer_view(layer_id)}"))
    for table in sorted({r.data_table for r in rows if r.data_table}):
        conn.execute(text(f"DROP TABLE IF EXISTS {data_table(table)}"))
    search_index.drop(conn, layer_id)
    for sql in (
        "DELETE FROM buergergis.feature_change WHERE layer_id = :id",
        "DELETE FROM buergergis.feed_state WHERE layer_id = :id",
        "DELETE FROM buergergis.layer WHERE id = :id",  # versions go with it (ON DELETE CASCADE)
    ):
        if _table_exists(conn, sql.split()[2]):
            conn.execute(text(sql), {"id": layer_id})
    return sorted({r.raster_path for r in rows if r.raster_path})


def _table_exists(conn: Connection, qualified: str) -> bool:
    return bool(conn.execute(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": qualified}).scalar())
