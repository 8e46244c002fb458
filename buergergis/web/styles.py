"""Published layer styles (OGC API – Styles conventions): MapLibre style JSON and SLD 1.1.

* ``/ogc/collections/{id}/styles`` – the styles of a collection (one: ``default``)
* ``/ogc/collections/{id}/styles/default?f=mapbox`` – MapLibre/Mapbox style JSON (default)
* ``/ogc/collections/{id}/styles/default?f=sld11`` – OGC SLD 1.1 / SE 1.1 for QGIS

Both are written from the layer definition's ``style`` (with ``style.by_attribute`` classes),
the same one the city map, the vector tiles and the list pages use.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, request

from buergergis.catalog.models import VectorLayer
from buergergis.errors import InvalidParameter, NotFound
from buergergis.maps import sld
from buergergis.maps.styling import geometry_class
from buergergis.store.catalog import LayerRecord
from buergergis.tiles import metadata
from buergergis.tiles.provider import parse_layer_list, versions_of
from buergergis.web import state
from buergergis.web.caching import conditional, make_etag
from buergergis.web.tiles import PRIVATE_CACHE_CONTROL, base_url, may_see_private, tile_service

bp = Blueprint("styles", __name__)
REL_STYLES = "http://www.opengis.net/def/rel/ogc/1.0/styles"

MAPBOX = "application/vnd.mapbox.style+json"
FORMATS = {"mapbox": MAPBOX, "sld11": sld.MEDIA_TYPE}
STYLE_ID = "default"


def init_app(app: Flask) -> None:
    """Collections link their styles, and ``/ogc/api`` documents the style routes."""
    try:
        from buergergis.web.ogc import conformance
    except ModuleNotFoundError:  # the OGC area is optional
        return
    if _collection_links not in conformance.COLLECTION_LINK_PROVIDERS:
        conformance.COLLECTION_LINK_PROVIDERS.append(_collection_links)
    if _openapi_paths not in conformance.OPENAPI_PATH_PROVIDERS:
        conformance.OPENAPI_PATH_PROVIDERS.append(_openapi_paths)


def _collection_links(layer: LayerRecord, ogc_base: str) -> list[dict[str, Any]]:
    if not layer.loaded or layer.kind != "vector":
        return []
    href = f"{ogc_base}/collections/{layer.id}/styles"
    return [{"rel": REL_STYLES, "href": href, "type": "application/json", "title": "Stile"}]


def _openapi_paths() -> dict[str, Any]:
    """OpenAPI path items of the style routes (keys relative to ``/ogc``)."""
    collection = {"$ref": "#/components/parameters/collectionId"}

    def fmt(description: str, values: list[str]) -> dict[str, Any]:
        return {"name": "f", "in": "query", "required": False, "description": description,
                "schema": {"type": "string", "enum": values}}  # fmt: skip

    def get(summary: str, op_id: str, params: list[Any], media: list[str]) -> dict[str, Any]:
        ok = {"description": "OK", "content": {m: {"schema": {}} for m in media}}
        return {"get": {"summary": summary, "operationId": op_id, "tags": ["Styles"],
                        "parameters": params, "responses": {"200": ok, "304": {
                            "description": "Nicht geändert (If-None-Match)"},
                            "404": {"description": "Nicht gefunden"}}}}  # fmt: skip

    return {
        "/collections/{collectionId}/styles": get(
            "Stile eines Datensatzes",
            "collectionStyles",
            [collection, fmt("Format der Liste", ["json"])],
            ["application/json"],
        ),
        f"/collections/{{collectionId}}/styles/{STYLE_ID}": get(
            "Der Stil als MapLibre-Style-JSON oder SLD 1.1",
            "collectionStyle",
            [collection, fmt("mapbox (MapLibre-Style-JSON, Standard) oder sld11", sorted(FORMATS))],
            list(FORMATS.values()),
        ),
    }


def _record(collection_id: str) -> tuple[LayerRecord, bool]:
    """The vector layer of a collection (404 for unknown, hidden or raster layers)."""
    records, public = tile_service().resolve(parse_layer_list(collection_id), may_see_private)
    if len(records) != 1 or not isinstance(records[0].definition, VectorLayer):
        raise NotFound(f"Für '{collection_id[:60]}' gibt es keinen Stil (nur Vektorlayer).")
    return records[0], public


def _format() -> str:
    """``f`` (``mapbox`` or ``sld11``), else the Accept header; default MapLibre JSON."""
    fmt = request.args.get("f")
    if fmt is None:
        accepted = request.accept_mimetypes.best_match([MAPBOX, "application/json", sld.MEDIA_TYPE])
        return "sld11" if accepted == sld.MEDIA_TYPE else "mapbox"
    if fmt not in FORMATS:
        raise InvalidParameter("Parameter 'f': erlaubt sind 'mapbox' und 'sld11'.")
    return fmt


def _send(
    record: LayerRecord, public: bool, body: Callable[[], bytes], media_type: str, *parts: str
) -> Response:
    cache_control = state().settings.cache_control if public else PRIVATE_CACHE_CONTROL
    etag = make_etag(versions_of([record]), base_url(), "style", *parts)
    return conditional(etag, cache_control, lambda: Response(body(), mimetype=media_type))


@bp.get("/ogc/collections/<collection_id>/styles")
def styles(collection_id: str) -> Response:
    """The styles of a collection: one, ``default``, as MapLibre JSON and SLD 1.1."""
    if request.args.get("f", "json") != "json":
        raise InvalidParameter("Parameter 'f': erlaubt ist 'json'.")
    record, public = _record(collection_id)
    href = f"{base_url()}/ogc/collections/{record.id}/styles/{STYLE_ID}"
    doc = {
        "default": STYLE_ID,
        "styles": [
            {
                "id": STYLE_ID,
                "title": record.definition.title,
                "links": [
                    {"rel": "stylesheet", "type": MAPBOX, "href": f"{href}?f=mapbox"},
                    {"rel": "stylesheet", "type": sld.MEDIA_TYPE, "href": f"{href}?f=sld11"},
                ],
            }
        ],
        "links": [
            {"rel": "self", "type": "application/json", "href": href.rsplit("/", 1)[0]},
            {"rel": "collection", "href": f"{base_url()}/ogc/collections/{record.id}"},
        ],
    }
    body = lambda: json.dumps(doc, ensure_ascii=False).encode()  # noqa: E731
    return _send(record, public, body, "application/json", "list")


@bp.get("/ogc/collections/<collection_id>/styles/<style_id>")
def style(collection_id: str, style_id: str) -> Response:
    """The ``default`` style of a collection as MapLibre style JSON or SLD 1.1."""
    record, public = _record(collection_id)
    if style_id != STYLE_ID:
        raise NotFound(f"Den Stil '{style_id[:60]}' gibt es nicht (nur '{STYLE_ID}').")
    fmt = _format()
    definition = record.definition
    assert isinstance(definition, VectorLayer)
    if fmt == "sld11":
        geometry = geometry_class(record.geometry_type)
        body = lambda: sld.sld(record.id, definition.title, definition.style, geometry)  # noqa: E731
    else:
        doc = lambda: metadata.maplibre_style(record, base_url(), versioned=public)  # noqa: E731
        body = lambda: json.dumps(doc(), ensure_ascii=False).encode()  # noqa: E731
    response = _send(record, public, body, FORMATS[fmt], fmt)
    response.vary.add("Accept")
    return response
