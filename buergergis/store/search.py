"""Search over the names and addresses of public layers, and "nächstgelegene …" queries.

Search reads the index ``buergergis.search_entry`` (one row per feature of every live vector
layer, kept in step by ``store.search_index`` inside the version swap), never the layer
tables. Query and index pass through the same ``buergergis.search_fold``: lower case, accents
and umlauts folded both ways ("Mühle", "Muehle", "Muhle" agree), "Straße"/"Strasse"/"Str." →
"str", punctuation → space. Candidates come from two index-backed tiers, each capped:
label starts with the query (btree prefix), and every query word occurs in the text (pg_trgm
GIN). Only if both find nothing, a typo-tolerant tier (``<%``, word similarity) runs. The few
candidates are ranked: exact label > label prefix > whole-word phrase > word start >
trigram similarity. Entries of private or deleted layers are never returned (join on the
catalog); each layer's part is swapped with its data, so it always matches the live data.
SQL text is built apart from running it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from buergergis.store.catalog import LayerRecord
from buergergis.store.search_index import IndexFields, index_fields
from buergergis.store.sql import column, layer_view

#: Minimum pg_trgm word similarity for a fuzzy hit.
SIMILARITY_THRESHOLD = 0.5
#: Candidates per tier before ranking (bounds the work for queries that match everything).
CANDIDATES = 100


def norm(expr: str) -> str:
    """SQL expression: ``expr`` lower-cased, umlauts spelled out, accents removed (list filters)."""
    spelled = f"lower({expr})"
    for char, repl in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        spelled = f"replace({spelled}, '{char}', '{repl}')"
    return f"buergergis.immutable_unaccent({spelled})"


def search_fields(record: LayerRecord) -> IndexFields | None:
    """The indexed attributes of a loaded layer (``None`` if nothing is searchable)."""
    return index_fields(record.definition) if record.loaded else None


@dataclass(frozen=True)
class Hit:
    """One search result; ``bbox`` (WGS84) only for lines and polygons; ``field`` matched."""

    layer: str
    id: str
    label: str
    detail: str | None
    lon: float
    lat: float
    bbox: tuple[float, float, float, float] | None
    score: float
    field: str | None = None
    value: str | None = None
    exact: bool = False  # the label is the query (after folding)


#: The columns every candidate tier returns (so ranking needs no second lookup).
_COLUMNS = "e.layer_id, e.fid, e.version, e.label, e.label_key, e.doc, e.detail, e.field_names, e.field_values, e.point, e.bbox"


def _tier_all_words(words: list[str]) -> str:
    likes = " AND ".join(f"e.doc LIKE :w{i}" for i in range(len(words)))
    return f"SELECT {_COLUMNS} FROM buergergis.search_entry e WHERE e.layer_id = ANY(:layers) AND {likes} LIMIT :cap"  # noqa: S608


_PREFIX = (
    f"SELECT {_COLUMNS} FROM buergergis.search_entry e"  # noqa: S608
    " WHERE e.layer_id = ANY(:layers) AND e.label_key LIKE :prefix"
    " ORDER BY e.label_key USING ~<~ LIMIT :cap"
)
_FUZZY = (
    f"SELECT {_COLUMNS} FROM buergergis.search_entry e"  # noqa: S608
    " WHERE e.layer_id = ANY(:layers) AND :nq <% e.doc LIMIT :cap"
)
#: GIN returns at most about this many rows per word before the recheck: a word in every
#: entry ("Hameln") then costs no more than a rare one; the prefix tier still finds the best.
GIN_LIMIT = 1000

#: The matched field: most query words contained, then most similar, then field order.
_MATCHED = """
(SELECT ARRAY[f.name, f.value]
   FROM unnest(e.field_names, e.field_values) WITH ORDINALITY AS f(name, value, n),
        LATERAL (SELECT coalesce(buergergis.search_fold(f.value), '') AS v) fv
  ORDER BY (SELECT count(*) FROM unnest(CAST(:words AS text[])) w WHERE position(w in fv.v) > 0) DESC,
           word_similarity(:nq, fv.v) DESC, f.n
  LIMIT 1)"""


def search_sql(candidates: str) -> str:
    """Rank the candidate entries of ``candidates`` (``:nq``, ``:limit``, ``:prefix``, …)."""
    return f"""
WITH c AS ({candidates}),
ranked AS (
  SELECT e.*,
         word_similarity(:nq, e.doc)
         + CASE WHEN e.label_key = :nq THEN 3 ELSE 0 END
         + CASE WHEN e.label_key LIKE :prefix THEN 2 ELSE 0 END
         + CASE WHEN ' ' || e.doc || ' ' LIKE :phrase THEN 1 ELSE 0 END
         + CASE WHEN position(' ' || :nq in ' ' || e.doc) > 0 THEN 0.5 ELSE 0 END AS score
  FROM (SELECT DISTINCT ON (layer_id, fid) * FROM c) e
  JOIN buergergis.layer l ON l.id = e.layer_id AND l.public
  ORDER BY score DESC, length(e.label), e.label, e.layer_id, e.fid
  LIMIT :limit
)
SELECT e.layer_id AS layer, e.fid, e.label, e.detail, e.score, {_MATCHED} AS matched,
       e.label_key = :nq AS exact,
       ST_X(e.point) AS lon, ST_Y(e.point) AS lat, e.bbox
FROM ranked e
ORDER BY e.score DESC, length(e.label), e.label, e.layer_id, e.fid
"""  # noqa: S608


def fold(conn: Connection, query: str) -> str:
    """The query as the index spells it (``buergergis.search_fold``); bounds GIN work too."""
    row = conn.execute(
        text(
            "SELECT buergergis.search_fold(:q) AS nq,"
            " set_config('gin_fuzzy_search_limit', :gin, true) AS gin"
        ),
        {"q": query, "gin": str(int(GIN_LIMIT))},
    ).one()
    return str(row.nq or "")


def _params(nq: str, layers: list[str], limit: int) -> dict[str, object]:
    words = nq.split()
    params: dict[str, object] = {
        "nq": nq,
        "words": words,
        "layers": layers,
        "limit": limit,
        "cap": CANDIDATES,
        "prefix": nq + "%",  # folded text holds only letters, digits and spaces: no LIKE escapes
        "phrase": f"% {nq} %",
    }
    params.update({f"w{i}": f"%{w}%" for i, w in enumerate(words)})
    return params


def search(conn: Connection, records: list[LayerRecord], query: str, limit: int) -> list[Hit]:
    """Ranked hits for ``query`` over the public, searchable layers among ``records``."""
    layers = [r.id for r in records if r.kind == "vector" and r.loaded]
    nq = fold(conn, query)
    if not layers or not nq:
        return []
    params = _params(nq, layers, limit)
    exact = f"({_PREFIX}) UNION ALL ({_tier_all_words(nq.split())})"
    rows = conn.execute(text(search_sql(exact)), params).all()
    if not rows:
        conn.execute(
            text("SELECT set_config('pg_trgm.word_similarity_threshold', :t, true)"),
            {"t": str(SIMILARITY_THRESHOLD)},
        )
        rows = conn.execute(text(search_sql(_FUZZY)), params).all()
    return [_hit(r) for r in rows]


def _hit(r: Any) -> Hit:
    name, value = r.matched or (None, None)
    return Hit(
        layer=r.layer,
        id=r.fid,
        label=r.label,
        detail=r.detail,
        lon=float(r.lon),
        lat=float(r.lat),
        bbox=(r.bbox[0], r.bbox[1], r.bbox[2], r.bbox[3]) if r.bbox else None,
        score=round(float(r.score), 4),
        field=name,
        value=value,
        exact=bool(r.exact),
    )


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
