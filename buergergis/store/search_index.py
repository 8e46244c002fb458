"""Keeping ``buergergis.search_entry`` in step with the live version of every layer.

:func:`refresh` runs inside the transaction that makes a new version live (load, replace,
rollback, single-feature edit, visibility change – all go through
``store.versions.record_version``): it deletes the layer's entries and writes one entry per
feature of the new version table. Readers see either all old or all new entries, never a mix,
and never entries of a version that is not live. Which attributes are indexed comes from the
layer definition: ``search`` fields, else the text fields of the popup, else the label.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from buergergis.catalog.models import RasterLayer, VectorLayer
from buergergis.store.sql import column, data_table

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


def insert_sql(ix: IndexFields, table: str) -> str:
    """``INSERT … SELECT`` of the entries of one version table (``:layer``, ``:version``)."""
    values = [f"t.{column(f)}::text" for f in ix.fields]
    label = f"coalesce(nullif(t.{column(ix.label)}::text, ''), t.fid)"
    detail = f"t.{column(ix.detail)}::text" if ix.detail else "NULL"
    names = ", ".join(f"'{f}'" for f in ix.fields)  # attribute names match ATTRIBUTE_PATTERN
    bbox = (
        "CASE WHEN GeometryType(t.geom) IN ('POINT', 'MULTIPOINT') THEN NULL "
        "ELSE ARRAY[ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)] END"
    )
    return f"""
INSERT INTO buergergis.search_entry
  (layer_id, version, fid, label, label_key, doc, field_names, field_values, detail, point, bbox)
SELECT :layer, :version, t.fid, {label}, buergergis.search_fold({label}),
       coalesce(buergergis.search_fold(concat_ws(' ', {", ".join(values)})), ''),
       ARRAY[{names}]::text[], ARRAY[{", ".join(values)}]::text[], {detail},
       ST_Transform(ST_PointOnSurface(t.geom), 4326), {bbox}
FROM {data_table(table)} t,
     LATERAL (SELECT ST_Transform(ST_Envelope(t.geom), 4326)::box2d AS b) e
"""  # noqa: S608


def refresh(
    conn: Connection,
    definition: VectorLayer | RasterLayer,
    version: int,
    table_name: str | None,
) -> int:
    """Replace the layer's entries by those of ``table_name`` (call inside the swap transaction)."""
    conn.execute(
        text("DELETE FROM buergergis.search_entry WHERE layer_id = :layer"),
        {"layer": definition.id},
    )
    ix = index_fields(definition)
    if ix is None or not table_name:
        return 0
    result = conn.execute(
        text(insert_sql(ix, table_name)), {"layer": definition.id, "version": version}
    )
    return int(result.rowcount or 0)


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
