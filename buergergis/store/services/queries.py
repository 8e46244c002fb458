"""Read queries of the services: nearest features (KNN), containing polygons, filtered lists.

The input point is WGS84 (lon, lat) and transformed to the layer's storage SRID inside
PostGIS; distances are planar metres in EPSG:25832 (UTM, scale error below 0.05 % in Hameln).
Each function builds its SQL text separately (``*_sql``) so the SQL can be read and tested.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from buergergis.store.catalog import LayerRecord
from buergergis.store.sql import column, layer_view

POINT = "ST_Transform(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :srid)"


@dataclass(frozen=True)
class Row:
    """One feature: its id, the requested attributes and, for a point query, the distance."""

    layer_id: str
    fid: str
    values: dict[str, Any]
    lon: float
    lat: float
    distance_m: float | None = None
    geojson: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Where:
    """SQL conditions on alias ``t`` with their bind parameters (AND-combined)."""

    clauses: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)

    def sql(self) -> str:
        """``WHERE …`` or an empty string."""
        return "WHERE " + " AND ".join(self.clauses) if self.clauses else ""

    def __add__(self, other: Where) -> Where:
        return Where(self.clauses + other.clauses, {**self.params, **other.params})


def equals(name: str, value: Any, key: str) -> Where:
    """``t.<name> = :key``."""
    return Where((f"t.{column(name)} = :{key}",), {key: value})


def not_past(name: str, today: date, key: str = "today") -> Where:
    """Entries whose date ``name`` is today or later, or not set."""
    return Where((f"(t.{column(name)} IS NULL OR t.{column(name)} >= :{key})",), {key: today})


def _columns(names: Sequence[str]) -> str:
    return "".join(f", t.{column(n)}" for n in names)


def _point_params(record: LayerRecord, lon: float, lat: float) -> dict[str, Any]:
    return {"lon": lon, "lat": lat, "srid": record.storage_srid or 25832}


def nearest_sql(record: LayerRecord, names: Sequence[str], where: Where) -> str:
    """The ``:limit`` features nearest to the point, index-assisted (``<->``)."""
    return f"""
SELECT t.fid{_columns(names)}, ST_Distance(t.geom, {POINT}) AS distance_m,
       ST_X(w.p) AS lon, ST_Y(w.p) AS lat
FROM {layer_view(record.id)} t,
     LATERAL (SELECT ST_Transform(ST_PointOnSurface(t.geom), 4326) AS p) w
{where.sql()}
ORDER BY t.geom <-> {POINT}, t.gid
LIMIT :limit
"""  # noqa: S608


def nearest(
    conn: Connection,
    record: LayerRecord,
    names: Sequence[str],
    lon: float,
    lat: float,
    limit: int,
    where: Where | None = None,
) -> list[Row]:
    """Nearest features with distance in metres (ties broken by ``gid``)."""
    where = where or Where()
    params = {**_point_params(record, lon, lat), "limit": limit, **where.params}
    rows = conn.execute(text(nearest_sql(record, names, where)), params)
    return [_row(record, names, r, distance=True) for r in rows]


def containing_sql(record: LayerRecord, names: Sequence[str]) -> str:
    """Features whose geometry contains the point (``ST_Contains``, GiST-assisted)."""
    return f"""
SELECT t.fid{_columns(names)}, ST_X(w.p) AS lon, ST_Y(w.p) AS lat
FROM {layer_view(record.id)} t,
     LATERAL (SELECT ST_Transform(ST_PointOnSurface(t.geom), 4326) AS p) w
WHERE ST_Contains(t.geom, {POINT})
ORDER BY t.gid
"""  # noqa: S608


def containing(
    conn: Connection, record: LayerRecord, names: Sequence[str], lon: float, lat: float
) -> list[Row]:
    """Polygons of ``record`` that contain (lon, lat)."""
    rows = conn.execute(text(containing_sql(record, names)), _point_params(record, lon, lat))
    return [_row(record, names, r) for r in rows]


def rows_sql(record: LayerRecord, names: Sequence[str], where: Where, order: str) -> str:
    """Filtered features with WGS84 GeoJSON (6 decimals), ordered by ``order`` then ``gid``."""
    return f"""
SELECT t.fid{_columns(names)}, ST_X(w.p) AS lon, ST_Y(w.p) AS lat,
       ST_AsGeoJSON(ST_Transform(t.geom, 4326), 6) AS geojson
FROM {layer_view(record.id)} t,
     LATERAL (SELECT ST_Transform(ST_PointOnSurface(t.geom), 4326) AS p) w
{where.sql()}
ORDER BY {f"t.{column(order)}, " if order else ""}t.gid
LIMIT :limit
"""  # noqa: S608


def rows(
    conn: Connection,
    record: LayerRecord,
    names: Sequence[str],
    where: Where | None = None,
    order: str = "",
    limit: int = 1000,
) -> list[Row]:
    """Features matching ``where`` (at most ``limit``)."""
    where = where or Where()
    result = conn.execute(
        text(rows_sql(record, names, where, order)), {"limit": limit, **where.params}
    )
    return [_row(record, names, r, geojson=True) for r in result]


def distinct_values(conn: Connection, record: LayerRecord, name: str) -> list[str]:
    """The distinct non-empty text values of an attribute, sorted (for filter choices)."""
    sql = (
        f"SELECT DISTINCT t.{column(name)}::text AS v FROM {layer_view(record.id)} t"  # noqa: S608
        f" WHERE t.{column(name)} IS NOT NULL AND t.{column(name)}::text <> '' ORDER BY 1"
    )
    return [r.v for r in conn.execute(text(sql))]


def feature(conn: Connection, record: LayerRecord, fid: str, names: Sequence[str]) -> Row | None:
    """One feature by its public id."""
    sql = f"""
SELECT t.fid{_columns(names)}, ST_X(w.p) AS lon, ST_Y(w.p) AS lat
FROM {layer_view(record.id)} t,
     LATERAL (SELECT ST_Transform(ST_PointOnSurface(t.geom), 4326) AS p) w
WHERE t.fid = :fid
"""  # noqa: S608
    row = conn.execute(text(sql), {"fid": fid}).one_or_none()
    return _row(record, names, row) if row else None


def _row(
    record: LayerRecord,
    names: Sequence[str],
    r: Any,
    *,
    distance: bool = False,
    geojson: bool = False,
) -> Row:
    mapping = r._mapping
    return Row(
        layer_id=record.id,
        fid=r.fid,
        values={n: mapping[n] for n in names},
        lon=round(float(r.lon), 6),
        lat=round(float(r.lat), 6),
        distance_m=round(float(r.distance_m), 1) if distance else None,
        geojson=r.geojson if geojson else None,
    )
