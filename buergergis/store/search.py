"""Search over the names and addresses of public layers, and "nächstgelegene …" queries.

Matching is umlaut- and accent-insensitive: both sides are lower-cased, German umlauts are
spelled out (``ä`` → ``ae``, ``ß`` → ``ss`` – so "Mueller" finds "Müller") and remaining
accents are removed with ``buergergis.immutable_unaccent``. Typos are tolerated with pg_trgm's
``word_similarity``. Ranking: label starts with the query > a word starts with it > substring
> all query words present > trigram similarity. SQL text is built separately from running it
(``search_sql``), identifiers only via ``store.sql``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from buergergis.catalog.models import VectorLayer
from buergergis.store.catalog import LayerRecord
from buergergis.store.sql import column, layer_view

#: Minimum pg_trgm word similarity for a fuzzy hit without a substring match.
SIMILARITY_THRESHOLD = 0.5


def norm(expr: str) -> str:
    """SQL expression: ``expr`` lower-cased, umlauts spelled out, accents removed."""
    spelled = f"lower({expr})"
    for char, repl in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        spelled = f"replace({spelled}, '{char}', '{repl}')"
    return f"buergergis.immutable_unaccent({spelled})"


@dataclass(frozen=True)
class SearchFields:
    """Which attributes of a layer are searched, and which name a hit."""

    layer_id: str
    fields: tuple[str, ...]
    label: str
    detail: str | None


def search_fields(record: LayerRecord) -> SearchFields | None:
    """``search`` fields, else popup fields, else the label; ``None`` if nothing to search."""
    d = record.definition
    if not isinstance(d, VectorLayer) or not record.loaded:
        return None
    known = {a.name for a in record.attributes}
    fields = tuple(f for f in (d.search or d.popup or (d.style.label,)) if f and f in known)
    if not fields:
        return None
    label = d.style.label if d.style.label in known else fields[0]
    detail = next((f for f in fields if f != label), None)
    return SearchFields(d.id, fields, label, detail)


@dataclass(frozen=True)
class Hit:
    """One search result; ``bbox`` (WGS84) only for lines and polygons."""

    layer: str
    id: str
    label: str
    detail: str | None
    lon: float
    lat: float
    bbox: tuple[float, float, float, float] | None
    score: float


def _layer_select(i: int, sf: SearchFields) -> str:
    doc = norm("concat_ws(' ', " + ", ".join(f"t.{column(f)}::text" for f in sf.fields) + ")")
    detail = f"t.{column(sf.detail)}::text" if sf.detail else "NULL::text"
    label = f"t.{column(sf.label)}::text"
    source = layer_view(sf.layer_id)
    select = (
        f"SELECT CAST(:layer_{i} AS text) AS layer, t.fid, {label} AS label, {detail} AS detail"
    )
    return f"{select}, t.geom, {doc} AS doc FROM {source} t"


def search_sql(layers: list[SearchFields]) -> str:
    """The ranked search over all given layers (parameters ``:q``, ``:limit``, ``:layer_<i>``)."""
    union = "\nUNION ALL\n".join(_layer_select(i, sf) for i, sf in enumerate(layers))
    word_start = "position(' ' || q.nq in ' ' || h.doc) > 0"
    all_words = (
        "NOT EXISTS (SELECT 1 FROM unnest(q.words) w WHERE w <> '' AND position(w in h.doc) = 0)"
    )
    return f"""
WITH q AS (SELECT n AS nq, regexp_split_to_array(n, '\\s+') AS words FROM (SELECT {norm(":q")} AS n) s),
hits AS ({union}),
ranked AS (
  SELECT h.layer, h.fid, h.label, h.detail, h.geom,
         word_similarity(q.nq, h.doc)
         + CASE WHEN position(q.nq in {norm("h.label")}) = 1 THEN 2 ELSE 0 END
         + CASE WHEN {word_start} THEN 1 ELSE 0 END
         + CASE WHEN position(q.nq in h.doc) > 0 THEN 0.5 ELSE 0 END
         + CASE WHEN {all_words} THEN 0.5 ELSE 0 END AS score
  FROM hits h, q
  WHERE position(q.nq in h.doc) > 0 OR {all_words}
     OR word_similarity(q.nq, h.doc) >= {SIMILARITY_THRESHOLD}
  ORDER BY score DESC, length(h.label), h.label, h.layer, h.fid
  LIMIT :limit
)
SELECT layer, fid, label, detail, score,
       ST_X(p) AS lon, ST_Y(p) AS lat, GeometryType(geom) AS gtype,
       ST_XMin(b) AS x0, ST_YMin(b) AS y0, ST_XMax(b) AS x1, ST_YMax(b) AS y1
FROM ranked,
     LATERAL (SELECT ST_Transform(ST_PointOnSurface(geom), 4326) AS p,
                     ST_Transform(geom, 4326)::box2d AS b) g
ORDER BY score DESC, length(label), label, layer, fid
"""  # noqa: S608


def search(conn: Connection, records: list[LayerRecord], query: str, limit: int) -> list[Hit]:
    """Ranked hits for ``query`` over the searchable layers among ``records``."""
    layers = [sf for sf in (search_fields(r) for r in records) if sf is not None]
    if not layers:
        return []
    params: dict[str, object] = {"q": query, "limit": limit}
    params.update({f"layer_{i}": sf.layer_id for i, sf in enumerate(layers)})
    rows = conn.execute(text(search_sql(layers)), params)
    return [
        Hit(
            layer=r.layer,
            id=r.fid,
            label=r.label or r.fid,
            detail=r.detail,
            lon=r.lon,
            lat=r.lat,
            bbox=None if "POINT" in (r.gtype or "") else (r.x0, r.y0, r.x1, r.y1),
            score=round(float(r.score), 4),
        )
        for r in rows
    ]


@dataclass(frozen=True)
class Nearby:
    """A feature near a point, with its distance in metres."""

    layer: str
    id: str
    label: str
    lon: float
    lat: float
    distance_m: float


def nearest_sql(record: LayerRecord, label: str) -> str:
    """Nearest features by index-assisted KNN (``<->``), exact distance on the spheroid."""
    return f"""
SELECT t.fid, t.{column(label)}::text AS label, ST_X(w) AS lon, ST_Y(w) AS lat,
       ST_Distance(ST_Transform(t.geom, 4326)::geography,
                   ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography) AS distance_m
FROM (SELECT fid, {column(label)}, geom FROM {layer_view(record.id)}
      ORDER BY geom <-> ST_Transform(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :srid)
      LIMIT :limit) t,
     LATERAL (SELECT ST_Transform(ST_PointOnSurface(t.geom), 4326) AS w) p
ORDER BY distance_m, t.fid
"""  # noqa: S608


def nearest(
    conn: Connection, record: LayerRecord, lon: float, lat: float, limit: int
) -> list[Nearby]:
    """The ``limit`` features of ``record`` nearest to (lon, lat)."""
    sf = search_fields(record)
    label = sf.label if sf else None
    if label is None:
        label = next((a.name for a in record.attributes), None)
    if label is None:
        return []
    params = {"lon": lon, "lat": lat, "srid": record.storage_srid or 25832, "limit": limit}
    rows = conn.execute(text(nearest_sql(record, label)), params)
    return [
        Nearby(record.id, r.fid, r.label or r.fid, r.lon, r.lat, round(float(r.distance_m), 1))
        for r in rows
    ]
