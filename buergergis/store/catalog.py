"""Read access to the layer catalog (``buergergis.layer``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from buergergis.catalog.models import Attribute, RasterLayer, VectorLayer
from buergergis.catalog.parse import parse_definition
from buergergis.errors import NotFound
from buergergis.store.sql import layer_view

_COLUMNS = """id, kind, definition, origin, public, version, feature_count, geometry_type, bbox,
    storage_srid, source_checksum, loaded_at, report, data_table, raster_path"""


@dataclass(frozen=True)
class LayerRecord:
    """A layer as the service sees it: its definition plus the state of its live version."""

    definition: VectorLayer | RasterLayer
    origin: str
    version: int
    feature_count: int | None
    geometry_type: str | None
    bbox: tuple[float, float, float, float] | None
    storage_srid: int | None
    source_checksum: str | None
    loaded_at: datetime | None
    report: dict[str, Any]
    data_table: str | None
    raster_path: str | None

    @property
    def id(self) -> str:
        """Layer id (a validated slug)."""
        return self.definition.id

    @property
    def kind(self) -> str:
        """``vector`` or ``raster``."""
        return self.definition.kind

    @property
    def public(self) -> bool:
        """Visible to anonymous requests."""
        return self.definition.public

    @property
    def loaded(self) -> bool:
        """Whether a version has been loaded and is live."""
        return self.version > 0

    @property
    def relation(self) -> str:
        """Quoted live relation for SQL (vector layers)."""
        return layer_view(self.id)

    @property
    def attributes(self) -> tuple[Attribute, ...]:
        """Published attributes as loaded (always explicit in stored definitions)."""
        if isinstance(self.definition, VectorLayer):
            return self.definition.attributes or ()
        return ()


def _record(row: Any) -> LayerRecord:
    return LayerRecord(
        definition=parse_definition(row.definition, f"catalog:{row.id}"),
        origin=row.origin,
        version=row.version,
        feature_count=row.feature_count,
        geometry_type=row.geometry_type,
        bbox=tuple(row.bbox) if row.bbox else None,
        storage_srid=row.storage_srid,
        source_checksum=row.source_checksum,
        loaded_at=row.loaded_at,
        report=row.report or {},
        data_table=row.data_table,
        raster_path=row.raster_path,
    )


def get_layer(
    conn: Connection, layer_id: str, *, include_private: bool = False
) -> LayerRecord | None:
    """One layer, or ``None`` if unknown, deleted (recycle bin), or private and not requested."""
    row = conn.execute(
        text(
            f"SELECT {_COLUMNS} FROM buergergis.layer"  # noqa: S608
            " WHERE id = :id AND deleted_at IS NULL"
        ),
        {"id": layer_id},
    ).one_or_none()
    if row is None or (not row.public and not include_private):
        return None
    return _record(row)


def require_layer(
    conn: Connection,
    layer_id: str,
    *,
    include_private: bool = False,
    loaded: bool = True,
    vector: bool = False,
) -> LayerRecord:
    """The one layer lookup that refuses: a layer that is unknown, deleted, hidden from the
    requester, not loaded (``loaded``) or not a vector layer (``vector``) is a 404."""
    record = (
        get_layer(conn, layer_id, include_private=include_private) if len(layer_id) <= 200 else None
    )
    shown = layer_id[:60]
    if record is None or (loaded and not record.loaded):
        raise NotFound(
            f"Die Ebene '{shown}' gibt es nicht.", description_en=f"There is no layer '{shown}'."
        )
    if vector and record.kind != "vector":
        raise NotFound(
            f"Die Ebene '{shown}' ist ein Rasterbild (keine Vektorebene) und hat keine Objekte.",
            description_en=f"The layer '{shown}' is an image (not a vector layer) without features.",
        )
    return record


def list_layers(
    conn: Connection, *, include_private: bool = False, loaded_only: bool = True
) -> list[LayerRecord]:
    """All layers ordered by category and title."""
    rows = conn.execute(
        text(
            f"SELECT {_COLUMNS} FROM buergergis.layer"  # noqa: S608
            " WHERE (public OR :private) AND (version > 0 OR NOT :loaded)"
            " AND deleted_at IS NULL"
            " ORDER BY definition->>'category', definition->>'title', id"
        ),
        {"private": include_private, "loaded": loaded_only},
    )
    return [_record(r) for r in rows]


def layer_versions(conn: Connection) -> dict[str, int]:
    """Current version of every layer (cheap; used for cache validators)."""
    return {r.id: r.version for r in conn.execute(text("SELECT id, version FROM buergergis.layer"))}
