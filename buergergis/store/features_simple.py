"""Plain attribute rows of a vector layer for the accessible list pages (``/liste/{layer}``).

Filtering is umlaut/accent-insensitive like the search (``store.search.norm``); text columns
sort by the same normalised form (so "Ärzte" sorts with "Aerzte", not after "Z"). Every page is
ordered by the chosen column and then ``gid``, so pages are stable.

``TableQuery.condition`` narrows the table before anything else (the city services' default
"nothing past" rule and attribute filters such as the Holzverkauf status): ``total`` then
counts the rows that meet it, ``matched`` those that also contain ``q``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text

from buergergis.store.catalog import LayerRecord
from buergergis.store.search import norm
from buergergis.store.services.queries import Where
from buergergis.store.sql import column, layer_view


@dataclass(frozen=True)
class TableQuery:
    """Which rows of a layer to show (columns must be published attribute names)."""

    columns: tuple[str, ...]
    q: str | None = None
    sort: str | None = None
    descending: bool = False
    page: int = 1
    per_page: int = 100
    condition: Where = field(default_factory=Where)


@dataclass(frozen=True)
class TableRows:
    """One page of rows; ``matched`` counts rows after filtering, ``total`` all rows."""

    rows: list[dict[str, Any]]
    total: int
    matched: int


def _base(query: TableQuery) -> str:
    """The server-side condition (on alias ``t``) every listed row meets."""
    return " AND ".join(f"({c})" for c in query.condition.clauses) or "TRUE"


def _search(query: TableQuery) -> str:
    if not query.q:
        return "TRUE"
    doc = norm("concat_ws(' ', " + ", ".join(f"t.{column(c)}::text" for c in query.columns) + ")")
    return f"position({norm(':q')} in {doc}) > 0"


def _filter(query: TableQuery) -> str:
    return f"{_base(query)} AND {_search(query)}"


def _params(query: TableQuery, **extra: Any) -> dict[str, Any]:
    return {**query.condition.params, "q": query.q or "", **extra}


def _order(record: LayerRecord, query: TableQuery) -> str:
    if not query.sort:
        return "t.gid"
    types = {a.name: a.type for a in record.attributes}
    col = f"t.{column(query.sort)}"
    direction = "DESC" if query.descending else "ASC"
    key = f"{norm(col)} {direction} NULLS LAST, " if types.get(query.sort) == "text" else ""
    return f"{key}{col} {direction} NULLS LAST, t.gid"


def rows_sql(record: LayerRecord, query: TableQuery) -> str:
    """One page of rows with a point in WGS84 (``@lat``, ``@lon``; binds ``:q``, ``:limit``, ``:offset``)."""
    cols = ", ".join(f"t.{column(c)}" for c in query.columns)
    return f"""
SELECT s.*, ST_Y(p) AS "@lat", ST_X(p) AS "@lon"
FROM (SELECT t.fid, {cols}, t.geom FROM {layer_view(record.id)} t
      WHERE {_filter(query)} ORDER BY {_order(record, query)}
      LIMIT :limit OFFSET :offset) s,
     LATERAL (SELECT ST_Transform(ST_PointOnSurface(s.geom), 4326) AS p) g
"""  # noqa: S608


def count_sql(record: LayerRecord, query: TableQuery) -> str:
    """Rows meeting the condition (``total``) and those also matching ``q`` (``matched``)."""
    return (
        f"SELECT count(*) AS total, count(*) FILTER (WHERE {_search(query)}) AS matched "  # noqa: S608
        f"FROM {layer_view(record.id)} t WHERE {_base(query)}"
    )


def position_sql(record: LayerRecord, query: TableQuery) -> str:
    """1-based position of feature ``:fid`` in the filtered, sorted rows (no row: not listed)."""
    return f"""
SELECT rn FROM (SELECT t.fid, row_number() OVER (ORDER BY {_order(record, query)}) AS rn
                FROM {layer_view(record.id)} t WHERE {_filter(query)}) s
WHERE s.fid = :fid
"""  # noqa: S608


def table_rows(conn: Connection, record: LayerRecord, query: TableQuery) -> TableRows:
    """Rows of one page, plus the counts."""
    counts = conn.execute(text(count_sql(record, query)), _params(query)).one()
    offset = (query.page - 1) * query.per_page
    result = conn.execute(
        text(rows_sql(record, query)), _params(query, limit=query.per_page, offset=offset)
    )
    rows = [{k: v for k, v in row._mapping.items() if k != "geom"} for row in result]
    return TableRows(rows=rows, total=int(counts.total), matched=int(counts.matched))


def feature_position(
    conn: Connection, record: LayerRecord, query: TableQuery, fid: str
) -> int | None:
    """Where feature ``fid`` appears in the filtered, sorted rows (``None``: not there)."""
    row = conn.execute(text(position_sql(record, query)), _params(query, fid=fid)).one_or_none()
    return int(row.rn) if row else None
