"""Feature queries of the OGC API: SQL is built here (testable as text) and run in one round trip.

PostGIS writes each feature's GeoJSON (``ST_AsGeoJSON`` with CRS-dependent precision) and
the page is aggregated in the database, so Python only wraps the bytes. The order is always
stable: the requested keys (distance, ``sortby``) and finally ``gid``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from buergergis.store.catalog import LayerRecord
from buergergis.store.cql import Binder, CqlTranslator, bad
from buergergis.store.crs import CRS84, STORAGE_SRID, Crs, in_range
from buergergis.store.paging import Cursor, KeyColumn, keyset_sql
from buergergis.store.sql import column

#: json_build_object takes at most 100 arguments (50 key/value pairs).
_MAX_PAIRS = 50
_TIME_FORMAT = '\'YYYY-MM-DD"T"HH24:MI:SS"Z"\''


@dataclass(frozen=True)
class SortKey:
    """One ``sortby`` key: a published attribute, ascending or descending."""

    name: str
    descending: bool = False


@dataclass(frozen=True)
class BBox:
    """A bbox as given, in the axis order of ``crs`` (lat/lon for EPSG:4326)."""

    x0: float
    y0: float
    x1: float
    y1: float
    crs: Crs = CRS84


@dataclass(frozen=True)
class Near:
    """Order by distance from this point, given in the axis order of ``crs``."""

    x: float
    y: float
    crs: Crs = CRS84


@dataclass(frozen=True)
class TimeFilter:
    """The ``datetime`` parameter: ``start`` inclusive, ``end`` inclusive or exclusive."""

    start: datetime | None
    end: datetime | None
    end_inclusive: bool = True


@dataclass(frozen=True)
class ItemsQuery:
    """Everything an items request asks for, parsed and validated by the view."""

    limit: int
    offset: int = 0
    crs: Crs = CRS84
    bbox: BBox | None = None
    datetime: TimeFilter | None = None
    filter: Any = None
    filter_crs: Crs = CRS84
    sortby: tuple[SortKey, ...] = ()
    properties: tuple[str, ...] | None = None
    near: Near | None = None
    #: Continue after this feature (keyset paging; not with ``near``); ``offset`` counts on.
    cursor: Cursor | None = None

    @property
    def position(self) -> int:
        """How many features come before this page."""
        return self.offset + (self.cursor.position if self.cursor else 0)

    @property
    def order(self) -> str:
        """``sortby`` as text (``gruppe,-wert``): the sort order a cursor belongs to."""
        return ",".join(("-" if k.descending else "") + k.name for k in self.sortby)


@dataclass(frozen=True)
class Statement:
    """SQL text (psycopg ``%(name)s`` placeholders) and its bind parameters."""

    sql: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ItemsPage:
    """A page of features: the comma-joined GeoJSON features and the counts."""

    features: str
    number_matched: int
    number_returned: int
    #: Sort key values (``sortby`` keys, ``gid``) of the last feature, for the next cursor.
    last_keys: list[Any] | None = None


def attribute_types(layer: LayerRecord) -> dict[str, str]:
    """Published attribute name → attribute type."""
    return {a.name: a.type for a in layer.attributes}


def geometry_sql(crs: Crs, alias: str = "t") -> str:
    """The geometry in the output CRS, x/y swapped for lat/lon CRSs."""
    geom = f"{alias}.geom"
    if crs.srid != STORAGE_SRID:
        geom = f"ST_Transform({geom}, {int(crs.srid)})"
    if crs.north_first:
        geom = f"ST_FlipCoordinates({geom})"
    return geom


def _value_sql(name: str, attr_type: str, alias: str) -> str:
    col = f"{alias}.{column(name)}"
    if attr_type == "datetime":
        return f"to_char({col} AT TIME ZONE 'UTC', {_TIME_FORMAT})"
    return col


def properties_sql(layer: LayerRecord, names: tuple[str, ...] | None, alias: str = "t") -> str:
    """A JSON object with the published (or the selected) attributes, in definition order."""
    types = attribute_types(layer)
    selected = [n for n in types if names is None or n in names]
    if not selected:
        return "'{}'"
    chunks = []
    for start in range(0, len(selected), _MAX_PAIRS):
        pairs = [
            f"'{name}', {_value_sql(name, types[name], alias)}"
            for name in selected[start : start + _MAX_PAIRS]
        ]
        chunks.append(f"json_build_object({', '.join(pairs)})")
    if len(chunks) == 1:
        return f"{chunks[0]}::text"
    return "(" + " || ".join(f"{c}::jsonb" for c in chunks) + ")::text"


def feature_sql(
    layer: LayerRecord,
    crs: Crs,
    names: tuple[str, ...] | None = None,
    *,
    distance: str | None = None,
    alias: str = "t",
) -> str:
    """One GeoJSON Feature as text, built by PostGIS."""
    parts = [
        '\'{"type":"Feature","id":\'',
        f"to_json({alias}.fid)::text",
        "',\"geometry\":'",
        f"ST_AsGeoJSON({geometry_sql(crs, alias)}, {int(crs.digits)}, 0)",
        "',\"properties\":'",
        properties_sql(layer, names, alias),
    ]
    if distance:
        parts += ["',\"distance\":'", f"round(CAST({distance} AS numeric), 1)::text"]
    parts.append("'}'")
    return " || ".join(parts)


def _point_sql(near: Near, binder: Binder) -> str:
    x, y = (near.y, near.x) if near.crs.north_first else (near.x, near.y)
    if not in_range(near.crs, x, y):
        raise bad(f"der Punkt liegt außerhalb des Gültigkeitsbereichs von {near.crs.uri}")
    point = (
        f"ST_SetSRID(ST_MakePoint({binder.add(x, 'double precision')}, "
        f"{binder.add(y, 'double precision')}), {int(near.crs.srid)})"
    )
    if near.crs.srid == STORAGE_SRID:
        return point
    return f"ST_Transform({point}, {STORAGE_SRID})"


def _time_bound(name: str, attr_type: str, alias: str, *, next_day: bool = False) -> str:
    col = f"{alias}.{column(name)}"
    if attr_type == "date":
        day = f"({col} + 1)" if next_day else col
        return f"(CAST({day} AS timestamp) AT TIME ZONE 'UTC')"
    return col


def temporal_of(layer: LayerRecord) -> Any:
    """The layer's ``temporal`` definition if its attributes are dates or date-times."""
    temporal = getattr(layer.definition, "temporal", None)
    if temporal is None:
        return None
    types = attribute_types(layer)
    names = [temporal.start, *([temporal.end] if temporal.end else [])]
    if any(types.get(n) not in ("date", "datetime") for n in names):
        return None
    return temporal


def time_sql(layer: LayerRecord, when: TimeFilter, binder: Binder, alias: str = "t") -> str | None:
    """Features whose time (instant or interval; dates are whole days) meets ``when``."""
    temporal = temporal_of(layer)
    if temporal is None:
        return None
    types = attribute_types(layer)
    start_type = types[temporal.start]
    lo = _time_bound(temporal.start, start_type, alias)
    conditions = [f"{alias}.{column(temporal.start)} IS NOT NULL"]
    end_name = temporal.end or temporal.start
    end_type = types[end_name]
    hi = _time_bound(end_name, end_type, alias, next_day=end_type == "date")
    hi_exclusive = end_type == "date"
    if when.end is not None:
        op = "<=" if when.end_inclusive else "<"
        conditions.append(f"{lo} {op} {binder.add(when.end, 'timestamptz')}")
    if when.start is not None:
        op = ">" if hi_exclusive else ">="
        open_end = f"{alias}.{column(temporal.end)} IS NULL OR " if temporal.end else ""
        conditions.append(f"({open_end}{hi} {op} {binder.add(when.start, 'timestamptz')})")
    return " AND ".join(conditions)


def bbox_sql(bbox: BBox, binder: Binder) -> str:
    """The (already validated) bbox as a polygon in the storage CRS, densified before it is
    transformed so that its edges follow the curved lines of the target CRS.

    A scalar subquery: the generic plan of a prepared statement computes it once per
    execution (an InitPlan) for the index and the row filter, as a planned statement folds it
    into a constant (without it, every row would transform the bbox again)."""
    x0, y0, x1, y1 = bbox.x0, bbox.y0, bbox.x1, bbox.y1
    if bbox.crs.north_first:
        x0, y0, x1, y1 = y0, x0, y1, x1
    values = ", ".join(binder.add(v, "double precision") for v in (x0, y0, x1, y1))
    envelope = f"ST_MakeEnvelope({values}, {int(bbox.crs.srid)})"
    if bbox.crs.srid == STORAGE_SRID:
        return f"(SELECT {envelope})"
    return f"(SELECT ST_Transform(ST_Segmentize({envelope}, {bbox.crs.segment}), {STORAGE_SRID}))"


def preparable(query: ItemsQuery) -> bool:
    """Whether the statements of ``query`` may run prepared (one generic plan, no planning per
    request): bbox, datetime, paging, sorting, properties and crs are bind parameters the plan
    handles as well as constants. CQL2 filters and ``near`` are planned per request."""
    return query.filter is None and query.near is None


def where_sql(layer: LayerRecord, query: ItemsQuery, binder: Binder) -> list[str]:
    """The conditions of an items query (bbox, datetime, filter)."""
    conditions = []
    if query.bbox is not None:
        conditions.append(f"ST_Intersects(t.geom, {bbox_sql(query.bbox, binder)})")
    if query.datetime is not None:
        when = time_sql(layer, query.datetime, binder)
        if when:
            conditions.append(when)
    if query.filter is not None:
        translator = CqlTranslator(attribute_types(layer), query.filter_crs, binder)
        conditions.append(translator.where(query.filter))
    return conditions


def order_keys(
    query: ItemsQuery, point: str | None, *, counted: bool = False
) -> list[tuple[str, bool]]:
    """(expression, descending) pairs; ``gid`` always last for a stable order.

    ``counted``: the page query also counts every match (window), so it reads all of them
    anyway; ``gid + 0`` keeps the planner from walking the primary key in ``gid`` order
    (through the whole table at small limits) instead of using the best index for the filter.
    """
    keys = []
    if point is not None:
        keys.append((f"t.geom <-> {point}", False))
    keys += [(f"t.{column(k.name)}", k.descending) for k in query.sortby]
    keys.append(("t.gid + 0" if counted else "t.gid", False))
    return keys


def key_columns(layer: LayerRecord, query: ItemsQuery) -> list[KeyColumn]:
    """The sort keys of a query as cursor columns (``gid`` last)."""
    types = attribute_types(layer)
    keys = [KeyColumn(k.name, types[k.name], k.descending) for k in query.sortby]
    return [*keys, KeyColumn("gid", "integer", nullable=False)]


def _nearest_radius(layer: LayerRecord, point: str, where: str, count: str) -> str:
    """Distance of the ``count``-th nearest feature (KNN index scan), plus 1 mm of slack.

    ``ORDER BY distance, gid`` cannot use the KNN index itself (no incremental sort after
    a KNN scan), so the page is restricted to ``ST_DWithin`` this radius, which the GiST
    index answers; ties at the radius are kept, so the order stays exact.
    """
    nearest = (
        f"SELECT t.geom <-> {point} AS d FROM {layer.relation} t{where} "  # noqa: S608
        f"ORDER BY t.geom <-> {point} LIMIT {count}"
    )
    return f"ST_DWithin(t.geom, {point}, (SELECT max(s.d) FROM ({nearest}) s) + 0.001)"  # noqa: S608


def build_items(layer: LayerRecord, query: ItemsQuery) -> Statement:
    """One statement returning ``matched``, ``returned`` and the comma-joined features.

    Behind ``offset`` rows the page is found first and only its features are written (a
    join back by ``gid``), so skipped rows cost a key each, not a GeoJSON text. With
    conditions, ``numberMatched`` is ``count(*) OVER ()`` in the page query (one scan;
    measured faster than a second ``count(*)``, see docs/benchmarks.md); it is unknown (``NULL``)
    for a page behind the last feature, then :func:`build_count` answers. Without conditions
    it is the catalog's feature count, written in the same transaction as the data.
    """
    binder = Binder()
    conditions = where_sql(layer, query, binder)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    limit, offset = binder.add(query.limit, "bigint"), binder.add(query.offset, "bigint")
    point = _point_sql(query.near, binder) if query.near is not None else None
    page_where = where
    if point is not None:
        radius = _nearest_radius(layer, point, where, f"({limit} + {offset})")
        page_where = f" WHERE {' AND '.join([*conditions, radius])}"
    elif query.cursor is not None:
        after = keyset_sql(key_columns(layer, query), query.cursor, binder)
        page_where = f" WHERE {' AND '.join([*conditions, after])}"
    windowed = bool(conditions) and point is None and query.cursor is None
    keys = order_keys(query, point, counted=windowed)
    distance = f"ST_Distance(t.geom, {point})" if point else None
    feature = feature_sql(layer, query.crs, query.properties, distance=distance)
    inner_keys = ", ".join(f"{expr} AS _k{i}" for i, (expr, _) in enumerate(keys))
    inner_order = ", ".join(f"{expr}{' DESC' if desc else ''}" for expr, desc in keys)
    outer_order = ", ".join(f"p._k{i}{' DESC' if desc else ''}" for i, (_, desc) in enumerate(keys))
    if windowed:
        matched, window = "max(p._m)", "count(*) OVER () AS _m, "
    elif conditions:  # the page is cut to a radius or starts at a cursor: count separately
        matched, window = f"(SELECT count(*) FROM {layer.relation} t{where})", ""  # noqa: S608
    else:
        catalog = "SELECT feature_count FROM buergergis.layer WHERE id = "
        matched, window = f"({catalog}{binder.add(layer.id, 'text')})", ""
    last = "NULL"
    if point is None:  # the sort keys of the last feature, for the next page's cursor
        values = ", ".join(f"p._k{i}" for i in range(len(keys)))
        last = f"(array_agg(json_build_array({values}) ORDER BY {outer_order}))[count(*)]"
    page = (
        f"{window}{inner_keys} FROM {layer.relation} t{page_where} "
        f"ORDER BY {inner_order} LIMIT {limit} OFFSET {offset}"
    )
    if query.offset > 0:  # skipped rows: find the page first, write only its features
        rows = (
            f"SELECT {feature} AS f, k.* FROM (SELECT t.gid AS _g, {page}) k "  # noqa: S608
            f"JOIN {layer.relation} t ON t.gid = k._g"
        )
    else:
        rows = f"SELECT {feature} AS f, {page}"
    sql = (
        f"SELECT {matched} AS matched, count(p.f) AS returned, "  # noqa: S608
        f"coalesce(string_agg(p.f, ',' ORDER BY {outer_order}), '') AS features, "
        f"{last} AS last_keys FROM ({rows}) p"
    )
    return Statement(sql, binder.params)


def build_count(layer: LayerRecord, query: ItemsQuery) -> Statement:
    """``count(*)`` of the features an items query selects (for pages behind the last one)."""
    binder = Binder()
    conditions = where_sql(layer, query, binder)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return Statement(f"SELECT count(*) FROM {layer.relation} t{where}", binder.params)  # noqa: S608


def build_item(
    layer: LayerRecord, fid: str, crs: Crs, names: tuple[str, ...] | None = None
) -> Statement:
    """One feature by its public id."""
    binder = Binder()
    sql = f"SELECT {feature_sql(layer, crs, names)} FROM {layer.relation} t WHERE t.fid = {binder.add(fid, 'text')}"  # noqa: S608
    return Statement(sql, binder.params)


def temporal_extent(conn: Connection, layer: LayerRecord) -> list[str | None] | None:
    """``[first, last]`` (RFC 3339, UTC; ``None`` for open) of a layer with time, else ``None``."""
    temporal = temporal_of(layer)
    if temporal is None:
        return None
    types = attribute_types(layer)
    start = _time_bound(temporal.start, types[temporal.start], "t")
    end_name = temporal.end or temporal.start
    end = _time_bound(end_name, types[end_name], "t")
    fmt = _TIME_FORMAT
    sql = (
        f"SELECT to_char(min({start}) AT TIME ZONE 'UTC', {fmt}), "  # noqa: S608
        f"to_char(max({end}) AT TIME ZONE 'UTC', {fmt}), bool_or({end} IS NULL AND {start} IS NOT NULL) "
        f"FROM {layer.relation} t"
    )
    first, last, open_end = conn.exec_driver_sql(sql).one()
    return [first, None if (open_end and temporal.end) else last]
