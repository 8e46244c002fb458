"""Layer versions: the one transaction that makes a new version live, pruning and rollback.

Every version of a vector layer is its own table ``layerdata."<id>__v<n>"``; the live data is
the view ``layers."<id>"`` pointing at the current one. Swapping the view, updating the
catalog and recording the version happen in the same transaction as the COPY, so a failure
at any step (or a killed process) leaves the previous version live.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from buergergis.catalog.models import RasterLayer, VectorLayer
from buergergis.errors import Conflict
from buergergis.store import search_index
from buergergis.store.sql import data_table, layer_view


@dataclass(frozen=True)
class VersionStats:
    """What the catalog records for a new version."""

    feature_count: int
    geometry_type: str | None
    bbox: tuple[float, float, float, float] | None
    storage_srid: int | None
    checksum: str | None
    report: dict[str, Any]


def lock_layer(conn: Connection, layer_id: str) -> None:
    """Serialise all changes to one layer (transaction-scoped advisory lock).

    Changing a layer may take longer than a request's statement timeout (index builds on
    large layers), so the timeout is lifted for this transaction only.
    """
    conn.execute(text("SET LOCAL statement_timeout = 0"))
    conn.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('buergergis.layer'), hashtext(:id))"),
        {"id": layer_id},
    )


def next_version(conn: Connection) -> int:
    """A new version number, unique across all layers and never reused."""
    return int(conn.execute(text("SELECT nextval('buergergis.layer_version_seq')")).scalar_one())


def point_view(conn: Connection, layer_id: str, table_name: str) -> None:
    """Make ``table_name`` the live data of the layer."""
    conn.execute(text(f"DROP VIEW IF EXISTS {layer_view(layer_id)}"))
    conn.execute(
        text(f"CREATE VIEW {layer_view(layer_id)} AS SELECT * FROM {data_table(table_name)}")  # noqa: S608
    )


def record_version(
    conn: Connection,
    definition: VectorLayer | RasterLayer,
    version: int,
    stats: VersionStats,
    *,
    origin: str,
    actor: str,
    action: str,
    table_name: str | None = None,
    raster_path: str | None = None,
) -> None:
    """Upsert the catalog row and append the version history row."""
    params = {
        "id": definition.id,
        "kind": definition.kind,
        "origin": origin,
        "definition": json.dumps(definition.model_dump(mode="json", exclude_none=True)),
        "public": definition.public,
        "version": version,
        "count": stats.feature_count,
        "gtype": stats.geometry_type,
        "bbox": list(stats.bbox) if stats.bbox else None,
        "srid": stats.storage_srid,
        "checksum": stats.checksum,
        "report": json.dumps(stats.report, default=str),
        "table": table_name,
        "raster": raster_path,
        "actor": actor,
        "action": action,
    }
    if origin == "yaml":
        refuse_file_over_staff_layer(conn, definition.id)
    conn.execute(text(_UPSERT), params)
    conn.execute(text(_HISTORY), params)
    search_index.refresh(conn, definition, version, table_name)  # same transaction as the swap
    conn.execute(
        text("SELECT pg_notify('buergergis_layers', :payload)"),
        {"payload": f"{definition.id}:{version}"},
    )


def refuse_file_over_staff_layer(conn: Connection, layer_id: str) -> None:
    """A YAML file never overwrites a layer managed in the staff area (docs/verwaltung.md)."""
    origin = conn.execute(
        text("SELECT origin FROM buergergis.layer WHERE id = :id"), {"id": layer_id}
    ).scalar_one_or_none()
    if origin is not None and origin != "yaml":
        raise Conflict(
            f"Layer '{layer_id}' wird in der Verwaltung gepflegt; layers/{layer_id}.yaml wird "
            "nicht darübergeladen, damit keine Änderungen der Redaktion verloren gehen. Bitte "
            "die Datei umbenennen oder den Layer in der Verwaltung löschen und endgültig entfernen."
        )


_UPSERT = """
INSERT INTO buergergis.layer AS l (id, kind, definition, origin, public, version, feature_count,
    geometry_type, bbox, storage_srid, source_checksum, loaded_at, report, data_table, raster_path)
VALUES (:id, :kind, CAST(:definition AS jsonb), :origin, :public, :version, :count, :gtype, :bbox,
    :srid, :checksum, now(), CAST(:report AS jsonb), :table, :raster)
ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, definition = EXCLUDED.definition,
    origin = CASE WHEN l.origin = 'yaml' THEN 'yaml' ELSE EXCLUDED.origin END,
    public = EXCLUDED.public, version = EXCLUDED.version, feature_count = EXCLUDED.feature_count,
    geometry_type = EXCLUDED.geometry_type, bbox = EXCLUDED.bbox, storage_srid = EXCLUDED.storage_srid,
    source_checksum = EXCLUDED.source_checksum, loaded_at = now(), report = EXCLUDED.report,
    data_table = EXCLUDED.data_table, raster_path = EXCLUDED.raster_path
"""

#: ``number`` counts the versions of one layer for people (1, 2, 3 …; under the layer lock).
_HISTORY = """
INSERT INTO buergergis.layer_version (layer_id, version, created_by, action, definition,
    feature_count, geometry_type, bbox, source_checksum, report, data_table, raster_path, number)
VALUES (:id, :version, :actor, :action, CAST(:definition AS jsonb), :count, :gtype, :bbox,
    :checksum, CAST(:report AS jsonb), :table, :raster,
    (SELECT coalesce(max(number), 0) + 1 FROM buergergis.layer_version WHERE layer_id = :id))
"""


def prune_versions(conn: Connection, layer_id: str, keep: int) -> list[str]:
    """Keep the newest ``keep`` distinct data sets (tables or raster files) of a layer.

    Definition-only versions share their data with another version, so a table or file is
    dropped only when no kept version and not the live catalog row use it any more. Returns
    raster files to delete after commit.
    """
    rows = conn.execute(
        text(
            "SELECT version, data_table, raster_path FROM buergergis.layer_version"
            " WHERE layer_id = :id AND kept ORDER BY version DESC"
        ),
        {"id": layer_id},
    ).all()
    live = conn.execute(
        text("SELECT data_table, raster_path FROM buergergis.layer WHERE id = :id"),
        {"id": layer_id},
    ).one_or_none()
    kept_data: list[str] = []
    dropped: list[Any] = []
    for row in rows:
        data = row.data_table or row.raster_path or f"v{row.version}"
        if data not in kept_data and len(kept_data) < keep:
            kept_data.append(data)
        if data not in kept_data:
            dropped.append(row)
    in_use = set(kept_data) | ({live.data_table, live.raster_path} if live else set())
    files = []
    for row in dropped:
        if row.data_table and row.data_table not in in_use:
            conn.execute(text(f"DROP TABLE IF EXISTS {data_table(row.data_table)}"))
        if row.raster_path and row.raster_path not in in_use:
            files.append(row.raster_path)
        conn.execute(
            text(
                "UPDATE buergergis.layer_version SET kept = false WHERE layer_id = :id AND version = :v"
            ),
            {"id": layer_id, "v": row.version},
        )
    return sorted(set(files))
