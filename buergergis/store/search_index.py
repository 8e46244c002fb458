"""Keeping ``buergergis.search_entry`` in step with the live version of every layer.

:func:`refresh` runs inside the transaction that makes a new version live (load, replace,
rollback, single-feature edit, visibility change – all go through
``store.versions.record_version``). ``search_entry`` is partitioned by layer: the new
version's entries are written into a table of their own, ``buergergis."search__<id>__v<n>"``,
indexed in bulk (much faster than inserting into one shared trigram index), and only then
swapped in for the layer's previous part (detach + drop + attach, a moment at the end of the
transaction). Readers see either all old or all new entries, never a mix, and never entries of
data that is not live. A new definition on the same data with the same indexed fields (title,
style, visibility …) keeps the part; its ``version`` column names the version that built it.
Which attributes are indexed comes from the layer definition: ``search`` fields, else the
text fields of the popup, else the label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, text

from buergergis.catalog.models import ID_PATTERN, RasterLayer, VectorLayer
from buergergis.store.sql import column, data_table, quote_ident

_ID = re.compile(ID_PATTERN)
#: Memory for building one layer's indexes (per transaction, not per server).
BUILD_MEMORY = "256MB"

#: Attribute types whose values are worth searching when no ``search`` list is given.
_TEXT_TYPES = frozenset({"text"})


@dataclass(frozen=True)
class IndexFields:
    """Which attributes of a layer are indexed, which names a hit, which describes it."""

    layer_id: str
    fields: tuple[str, ...]
    label: str
    detail: str | None


def index_fields(definition: VectorLayer | RasterLayer) -> IndexFields | None:
    """The indexed attributes of a definition; ``None`` when nothing is searchable."""
    if not isinstance(definition, VectorLayer) or not definition.attributes:
        return None
    types = {a.name: a.type for a in definition.attributes}
    if definition.search:
        wanted: tuple[str, ...] = definition.search
    else:
        popup = tuple(f for f in definition.popup if types.get(f) in _TEXT_TYPES)
        wanted = popup or ((definition.style.label,) if definition.style.label else ())
    fields = tuple(f for f in wanted if f in types)
    if not fields:
        return None
    label = definition.style.label if definition.style.label in types else fields[0]
    detail = next((f for f in fields if f != label), None)
    return IndexFields(definition.id, fields, label, detail)


def part_name(layer_id: str, version: int) -> str:
    """Unqualified name of one layer version's part of ``search_entry``."""
    if not _ID.match(layer_id):
        raise ValueError(f"invalid layer id {layer_id!r}")
    return f"search__{layer_id}__v{int(version)}"


def _part(layer_id: str, version: int) -> str:
    return f"buergergis.{quote_ident(part_name(layer_id, version))}"


def _literal(layer_id: str) -> str:
    """The layer id as an SQL string literal (DDL takes no bind parameters; id validated)."""
    if not _ID.match(layer_id):
        raise ValueError(f"invalid layer id {layer_id!r}")
    return "'" + layer_id + "'"


def insert_sql(ix: IndexFields, table: str, target: str) -> str:
    """``INSERT … SELECT`` of the entries of one version table into ``target``."""
    values = [f"t.{column(f)}::text" for f in ix.fields]
    label = f"coalesce(nullif(t.{column(ix.label)}::text, ''), t.fid)"
    detail = f"t.{column(ix.detail)}::text" if ix.detail else "NULL"
    names = ", ".join(f"'{f}'" for f in ix.fields)  # attribute names match ATTRIBUTE_PATTERN
    bbox = (
        "CASE WHEN GeometryType(t.geom) IN ('POINT', 'MULTIPOINT') THEN NULL "
        "ELSE ARRAY[ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)] END"
    )
    return f"""
INSERT INTO {target}
  (layer_id, version, fid, label, label_key, doc, field_names, field_values, detail, point, bbox)
SELECT :layer, :version, t.fid, {label}, buergergis.search_fold({label}),
       coalesce(buergergis.search_fold(concat_ws(' ', {", ".join(values)})), ''),
       ARRAY[{names}]::text[], ARRAY[{", ".join(values)}]::text[], {detail},
       ST_Transform(ST_PointOnSurface(t.geom), 4326), {bbox}
FROM {data_table(table)} t,
     LATERAL (SELECT ST_Transform(ST_Envelope(t.geom), 4326)::box2d AS b) e
"""  # noqa: S608


def signature(ix: IndexFields, table: str) -> str:
    """What a part was built from: data table and indexed fields (kept as the table comment)."""
    data_table(table)  # validates the name
    return "|".join((table, ",".join(ix.fields), ix.label, ix.detail or ""))


def _build(conn: Connection, ix: IndexFields, version: int, table: str) -> tuple[str, int]:
    """Create, fill and index the new part (not yet attached); returns its name and size."""
    target = _part(ix.layer_id, version)
    conn.execute(text(f"DROP TABLE IF EXISTS {target}"))
    conn.execute(text(f"CREATE TABLE {target} (LIKE buergergis.search_entry INCLUDING DEFAULTS)"))
    result = conn.execute(
        text(insert_sql(ix, table, target)), {"layer": ix.layer_id, "version": version}
    )
    conn.execute(text(f"SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'"))
    conn.execute(text(f"CREATE INDEX ON {target} USING gin (doc public.gin_trgm_ops)"))
    conn.execute(text(f"CREATE INDEX ON {target} (label_key text_pattern_ops)"))
    conn.execute(text(f"ALTER TABLE {target} ADD PRIMARY KEY (layer_id, fid)"))
    conn.execute(
        text(f"ALTER TABLE {target} ADD CHECK (layer_id = {_literal(ix.layer_id)})")
    )  # attaching then needs no validation scan
    sig = signature(ix, table).replace("'", "''")  # validated names only; DDL takes no binds
    conn.execute(text(f"COMMENT ON TABLE {target} IS '{sig}'"))
    # Statistics now, not whenever autovacuum comes by: without them the planner guesses a
    # few rows for a prefix that matches thousands ("flur 7") and sorts them all (60 ms, not 5).
    conn.execute(text(f"ANALYZE {target} (layer_id, label_key, doc)"))
    return target, int(result.rowcount or 0)


def _old_parts(conn: Connection, layer_id: str) -> list[tuple[str, str | None]]:
    """The layer's current parts: qualified name and signature."""
    rows = conn.execute(
        text(
            "SELECT format('%I.%I', n.nspname, c.relname), obj_description(c.oid, 'pg_class')"
            " FROM pg_inherits i"
            " JOIN pg_class c ON c.oid = i.inhrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE i.inhparent = 'buergergis.search_entry'::regclass"
            " AND pg_get_expr(c.relpartbound, c.oid) = format('FOR VALUES IN (%L)', CAST(:id AS text))"
        ),
        {"id": layer_id},
    )
    return [(str(name), comment) for name, comment in rows]


def refresh(
    conn: Connection,
    definition: VectorLayer | RasterLayer,
    version: int,
    table_name: str | None,
) -> int:
    """Replace the layer's entries by those of ``table_name`` (call inside the swap transaction).

    A new definition on the same data (title, style, visibility …) whose indexed fields are
    unchanged keeps the current part: nothing to rebuild. Returns the number of new entries.
    """
    ix = index_fields(definition)
    old_parts = _old_parts(conn, definition.id)
    if (
        ix is not None
        and table_name
        and [sig for _, sig in old_parts] == [signature(ix, table_name)]
    ):
        return 0
    built = _build(conn, ix, version, table_name) if ix is not None and table_name else None
    for old, _sig in old_parts:  # the short exclusive moment: detach + drop
        conn.execute(text(f"ALTER TABLE buergergis.search_entry DETACH PARTITION {old}"))
        conn.execute(text(f"DROP TABLE {old}"))
    if built is None:
        return 0
    target, count = built
    conn.execute(
        text(
            f"ALTER TABLE buergergis.search_entry ATTACH PARTITION {target}"
            f" FOR VALUES IN ({_literal(definition.id)})"
        )
    )
    return count


def drop(conn: Connection, layer_id: str) -> None:
    """Remove the layer's parts (a layer purged for good)."""
    for part, _signature in _old_parts(conn, layer_id):
        conn.execute(text(f"ALTER TABLE buergergis.search_entry DETACH PARTITION {part}"))
        conn.execute(text(f"DROP TABLE {part}"))


def refresh_all(conn: Connection) -> int:
    """Rebuild the entries of every live vector layer (migration, repair)."""
    from buergergis.catalog.parse import parse_definition

    rows = conn.execute(
        text(
            "SELECT id, definition, version, data_table FROM buergergis.layer"
            " WHERE kind = 'vector' AND version > 0 AND data_table IS NOT NULL"
        )
    ).all()
    total = 0
    for row in rows:
        definition = parse_definition(row.definition, f"catalog:{row.id}")
        total += refresh(conn, definition, row.version, row.data_table)
    return total
