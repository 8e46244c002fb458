"""``/ogc/collections/{id}/queryables`` (Part 3) and ``…/sortables`` (Part 5) as JSON Schema."""

from __future__ import annotations

from typing import Any

from flask import Response

from buergergis.store.catalog import LayerRecord
from buergergis.store.cql import SQL_TYPES
from buergergis.web import state
from buergergis.web.ogc import bp
from buergergis.web.ogc.common import cached, json_response, vector_layer
from buergergis.web.ogc.html import TEXTS, render, title_of
from buergergis.web.ogc.links import url
from buergergis.web.ogc.negotiation import language, negotiate
from buergergis.web.ogc.params import COMMON, check_known

OFFERED = ("schema", "html")
SCHEMA_2020 = "https://json-schema.org/draft/2020-12/schema"
_JSON_TYPES: dict[str, dict[str, str]] = {
    "text": {"type": "string"},
    "integer": {"type": "integer"},
    "float": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
}
_GEOMETRY_FORMATS = {
    "Point": "geometry-point",
    "MultiPoint": "geometry-multipoint",
    "LineString": "geometry-linestring",
    "MultiLineString": "geometry-multilinestring",
    "Polygon": "geometry-polygon",
    "MultiPolygon": "geometry-multipolygon",
}


def attribute_schemas(layer: LayerRecord, lang: str) -> dict[str, dict[str, Any]]:
    """One JSON Schema per queryable attribute, titled in the requested language."""
    result = {}
    for attr in layer.attributes:
        if attr.type not in SQL_TYPES:
            continue
        title = (lang == "en" and attr.title_en) or attr.label
        result[attr.name] = {"title": title, **_JSON_TYPES[attr.type]}
    return result


def geometry_schema(layer: LayerRecord) -> dict[str, Any]:
    """The spatial queryable ``geometry``."""
    fmt = _GEOMETRY_FORMATS.get(layer.geometry_type or "", "geometry-any")
    return {"title": "Geometrie", "format": fmt, "x-ogc-role": "primary-geometry"}


def schema_document(layer: LayerRecord, lang: str, kind: str) -> dict[str, Any]:
    """The queryables (with geometry) or sortables schema."""
    properties = attribute_schemas(layer, lang)
    if kind == "queryables":
        name = "geom" if "geometry" in properties else "geometry"
        properties = {name: geometry_schema(layer), **properties}
    return {
        "$schema": SCHEMA_2020,
        "$id": url(f"/collections/{layer.id}/{kind}"),
        "type": "object",
        "title": title_of(layer.definition, lang),
        "properties": properties,
        "additionalProperties": False,
    }


def _schema_view(collection_id: str, kind: str) -> Response:
    check_known(COMMON)
    fmt, lang = negotiate(OFFERED), language()
    with state().engine.connect() as conn:
        layer = vector_layer(conn, collection_id)
    doc = schema_document(layer, lang, kind)
    if fmt == "html":
        t = TEXTS[lang]
        return cached(
            [layer], lambda: render("queryables.html", lang, layer=layer, doc=doc, heading=t[kind])
        )
    return cached([layer], lambda: json_response(doc, "schema"))


@bp.get("/collections/<collection_id>/queryables")
def queryables(collection_id: str) -> Response:
    """Properties usable in ``filter`` and as query parameters."""
    return _schema_view(collection_id, "queryables")


@bp.get("/collections/<collection_id>/sortables")
def sortables(collection_id: str) -> Response:
    """Properties usable in ``sortby``."""
    return _schema_view(collection_id, "sortables")
