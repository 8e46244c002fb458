"""``/ogc/api``: the OpenAPI 3.0 definition (every path and parameter) and its HTML view."""

from __future__ import annotations

from typing import Any

from flask import Response

from buergergis.store.catalog import LayerRecord
from buergergis.store.crs import CRS84_URI, SUPPORTED
from buergergis.store.exports import FORMATS
from buergergis.web import state
from buergergis.web.ogc import bp
from buergergis.web.ogc.common import cached, json_response, public_vector_layers
from buergergis.web.ogc.conformance import OPENAPI_PATH_PROVIDERS
from buergergis.web.ogc.html import render
from buergergis.web.ogc.links import base_url
from buergergis.web.ogc.negotiation import language, negotiate
from buergergis.web.ogc.openapi_parts import (
    ERRORS,
    ITEM_PARAMS,
    ITEMS_PARAM_NAMES,
    ITEMS_PARAMS,
    META_PARAMS,
    components,
    operation,
    queryable_parameter,
)
from buergergis.web.ogc.params import COMMON, check_known

OFFERED = ("openapi", "html")


def _paths(layers: list[LayerRecord]) -> dict[str, Any]:
    cid = {"$ref": "#/components/parameters/collectionId"}
    fid = {"$ref": "#/components/parameters/featureId"}
    key = {"$ref": "#/components/parameters/downloadFormat"}
    paths: dict[str, Any] = {
        "/": operation("Landing page", "landing", META_PARAMS, "Capabilities"),
        "/conformance": operation(
            "Konformitätsklassen", "conformance", META_PARAMS, "Capabilities"
        ),
        "/api": operation("Diese API-Beschreibung", "api", META_PARAMS, "Capabilities", "openapi"),
        "/collections": operation("Alle Datensätze", "collections", META_PARAMS, "Capabilities"),
        "/collections/{collectionId}": operation(
            "Metadaten eines Datensatzes", "collection", [cid, *META_PARAMS], "Capabilities"
        ),
        "/collections/{collectionId}/items": operation(
            "Objekte eines Datensatzes", "items", [cid, *ITEMS_PARAMS], "Data", "features"
        ),
        "/collections/{collectionId}/items/{featureId}": operation(
            "Ein Objekt", "item", [cid, fid, *ITEM_PARAMS], "Data", "feature"
        ),
        "/collections/{collectionId}/queryables": operation(
            "Abfragbare Eigenschaften", "queryables", [cid, *META_PARAMS], "Schemas", "schema"
        ),
        "/collections/{collectionId}/sortables": operation(
            "Sortierbare Eigenschaften", "sortables", [cid, *META_PARAMS], "Schemas", "schema"
        ),
        "/collections/{collectionId}/download/{format}": operation(
            "Ganzer Datensatz als Datei", "download", [cid, key], "Data", "download"
        ),
    }
    for layer in layers:
        extra = [
            queryable_parameter(a)
            for a in layer.attributes
            if a.type != "json" and a.name not in ITEMS_PARAM_NAMES
        ]
        paths[f"/collections/{layer.id}/items"] = operation(
            f"Objekte: {layer.definition.title}",
            f"items_{layer.id.replace('-', '_')}",
            [*ITEMS_PARAMS, *extra],
            "Data",
            "features",
        )
    for provider in dict.fromkeys(OPENAPI_PATH_PROVIDERS):
        paths.update(with_errors(provider()))
    return paths


def with_errors(paths: dict[str, Any]) -> dict[str, Any]:
    """Path items of other areas with the error responses every route can give (one error
    path for the whole app), where they do not describe them themselves."""
    for item in paths.values():
        for operation_ in item.values():
            if isinstance(operation_, dict) and "responses" in operation_:
                operation_["responses"] = {**ERRORS, **operation_["responses"]}
    return paths


def openapi_document(layers: list[LayerRecord]) -> dict[str, Any]:
    """The whole OpenAPI 3.0.3 document for this server."""
    parts = components(
        [layer.id for layer in layers],
        state().settings.items_max_limit,
        [c.uri for c in SUPPORTED],
        [fmt.segment for fmt in FORMATS.values()],
    )
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "BürgerGIS Hameln – OGC API Features",
            "version": "1.0.0",
            "description": "Offene Geodaten der Stadt Hameln. Standard-KBS: " + CRS84_URI,
            "contact": {"name": "Stadt Hameln"},
            "license": {"name": "Daten: siehe jeweiliger Datensatz"},
        },
        "servers": [{"url": base_url()}],
        "tags": [{"name": n} for n in ("Capabilities", "Data", "Schemas")],
        "paths": _paths(layers),
        "components": parts,
    }


@bp.get("/api")
def api() -> Response:
    """OpenAPI document (``f=json``) or Swagger UI (``f=html``)."""
    check_known(COMMON)
    fmt, lang = negotiate(OFFERED), language()
    with state().engine.connect() as conn:
        layers = public_vector_layers(conn)
    if fmt == "html":
        return cached(layers, lambda: render("api.html", lang, spec_url=base_url() + "/api?f=json"))
    return cached(layers, lambda: json_response(openapi_document(layers), "openapi"))
