"""Version history of a layer for the staff area: listing, rollback and the live rows for diffs.

A rollback never re-points the view at an old table: it copies the kept version into a new
version table with a new number from the global sequence, so ETags and tile caches change
exactly as after a load. Everything happens in the caller's transaction under the layer lock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from buergergis.catalog.models import Attribute, RasterLayer, VectorLayer
from buergergis.catalog.parse import parse_definition
from buergergis.errors import Conflict, NotFound
from buergergis.store import versions
from buergergis.store.sql import column, data_table, layer_view, version_table_name


@dataclass(frozen=True)
class VersionInfo:
    """One row of ``buergergis.layer_version``."""

    version: int
    created_at: datetime
    created_by: str
    action: str
    feature_count: int | None
    geometry_type: str | None
    kept: bool
    live: bool
    number: int | None = None

    @property
    def label(self) -> str:
        """How people call it: "Version 3" (the layer's own count)."""
        return f"Version {self.number}" if self.number else f"Version #{self.version}"

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the API."""
        return {
            "version": self.version,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "action": self.action,
            "feature_count": self.feature_count,
            "geometry_type": self.geometry_type,
            "kept": self.kept,
            "live": self.live,
            "number": self.number,
        }


def list_versions(conn: Connection, layer_id: str) -> list[VersionInfo]:
    """All recorded versions of a layer, newest first (``kept`` ones can be rolled back to)."""
    rows = conn.execute(
        text(
            "SELECT v.version, v.created_at, v.created_by, v.action, v.feature_count,"
            " v.geometry_type, v.kept, v.version = l.version AS live, v.number"
            " FROM buergergis.layer_version v JOIN buergergis.layer l ON l.id = v.layer_id"
            " WHERE v.layer_id = :id ORDER BY v.version DESC"
        ),
        {"id": layer_id},
    )
    return [VersionInfo(*r) for r in rows]


@dataclass(frozen=True)
class RollbackResult:
    """The new live version and raster files to delete after commit."""

    version: int
    from_version: int
    feature_count: int | None
    obsolete_files: list[str]


#: Copies a kept raster file for a new version: (old path, new version) → new path.
RasterCopier = Callable[[str, int], str]
#: The definition a rollback makes live: (connection, kept version row, catalog row) → definition.
DefinitionChooser = Callable[[Connection, Any, Any], VectorLayer | RasterLayer]


def rollback(
    conn: Connection,
    layer_id: str,
    to_version: int,
    *,
    actor: str,
    keep: int,
    copy_raster: RasterCopier | None = None,
    choose_definition: DefinitionChooser | None = None,
) -> RollbackResult:
    """Make kept version ``to_version`` live again as a new version (call inside a transaction).

    Copying a large table may take longer than a web request's statement timeout, so the
    timeout is lifted for this transaction only.
    """
    conn.execute(text("SET LOCAL statement_timeout = 0"))
    versions.lock_layer(conn, layer_id)
    current, old = _current_and_kept(conn, layer_id, to_version)
    definition = (
        choose_definition(conn, old, current)
        if choose_definition is not None
        else parse_definition(old.definition, f"Version {to_version}")
    )
    new = versions.next_version(conn)
    table, raster, srid = None, None, None
    if old.data_table:
        table = version_table_name(layer_id, new)
        srid = _copy_table(conn, old.data_table, table)
        versions.point_view(conn, layer_id, table)
    elif old.raster_path and copy_raster is not None:
        raster = copy_raster(old.raster_path, new)
    else:
        raise Conflict(
            f"Version {to_version} hat keine Daten, die wiederhergestellt werden können."
        )
    stats = versions.VersionStats(
        feature_count=old.feature_count,
        geometry_type=old.geometry_type,
        bbox=tuple(old.bbox) if old.bbox else None,
        storage_srid=srid,
        checksum=old.source_checksum,
        report={**(old.report or {}), "rollback_from": to_version},
    )
    versions.record_version(
        conn,
        definition,
        new,
        stats,
        origin=current.origin,
        actor=actor,
        action="rollback",
        table_name=table,
        raster_path=raster,
    )
    files = versions.prune_versions(conn, layer_id, keep)
    return RollbackResult(new, to_version, old.feature_count, files)


def _current_and_kept(conn: Connection, layer_id: str, to_version: int) -> tuple[Any, Any]:
    """The catalog row and the kept version row (404 if either is missing, 409 if live)."""
    current = conn.execute(
        text(
            "SELECT id, origin, version, definition, data_table FROM buergergis.layer WHERE id = :id"
        ),
        {"id": layer_id},
    ).one_or_none()
    if current is None:
        raise NotFound(f"Layer '{layer_id}' gibt es nicht.")
    old = conn.execute(
        text(
            "SELECT * FROM buergergis.layer_version WHERE layer_id = :id AND version = :v AND kept"
        ),
        {"id": layer_id, "v": to_version},
    ).one_or_none()
    if old is None:
        raise NotFound(f"Version {to_version} von '{layer_id}' ist nicht (mehr) vorhanden.")
    if old.version == current.version:
        raise Conflict(f"Version {to_version} ist bereits die aktuelle Version.")
    return current, old


def _copy_table(conn: Connection, source: str, target: str) -> int:
    """Copy a version table with its keys and indexes; returns the SRID of ``geom``."""
    src, dst = data_table(source), data_table(target)
    conn.execute(text(f"CREATE TABLE {dst} (LIKE {src} INCLUDING ALL)"))
    conn.execute(text(f"INSERT INTO {dst} SELECT * FROM {src}"))  # noqa: S608
    conn.execute(text(f"ANALYZE {dst}"))
    srid = conn.execute(
        text("SELECT Find_SRID(:schema, :table, 'geom')"),
        {"schema": "layerdata", "table": target},
    ).scalar_one()
    return int(srid)


def live_rows(
    conn: Connection, layer_id: str, attributes: tuple[Attribute, ...]
) -> Iterator[tuple[Any, ...]]:
    """``(fid, geometry WKB, *attribute values)`` of every live feature of a vector layer."""
    cols = "".join(f", {column(a.name)}" for a in attributes)
    sql = f"SELECT fid, ST_AsBinary(geom){cols} FROM {layer_view(layer_id)}"  # noqa: S608
    for row in conn.execute(text(sql)):
        yield tuple(row)
