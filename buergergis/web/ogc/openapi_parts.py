"""Building blocks of the OpenAPI document: parameters, responses and operations."""

from __future__ import annotations

import copy
from typing import Any

from buergergis.catalog.models import Attribute
from buergergis.store.crs import CRS84_URI

_P = "#/components/parameters/"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _P + name}


def _query(name: str, description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        **extra,
    }


_ARRAY = {"style": "form", "explode": False}
_CRS_SCHEMA = {"type": "string", "format": "uri", "default": CRS84_URI}
PARAMETERS: dict[str, Any] = {
    "collectionId": {
        "name": "collectionId",
        "in": "path",
        "required": True,
        "description": "ID des Datensatzes",
        "schema": {"type": "string"},
    },
    "featureId": {
        "name": "featureId",
        "in": "path",
        "required": True,
        "description": "ID des Objekts",
        "schema": {"type": "string"},
    },
    "downloadFormat": {
        "name": "format",
        "in": "path",
        "required": True,
        "description": "Dateiformat des Downloads",
        "schema": {"type": "string"},
    },
    "f": _query(
        "f",
        "Format der Antwort (statt Accept-Header)",
        {"type": "string", "enum": ["json", "geojson", "html"]},
    ),
    "lang": _query(
        "lang",
        "Sprache der Webseiten und Titel",
        {"type": "string", "enum": ["de", "en"], "default": "de"},
    ),
    "bbox": _query(
        "bbox",
        "Nur Objekte, die dieses Rechteck schneiden (minx,miny,maxx,maxy in bbox-crs)",
        {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
        **_ARRAY,
    ),
    "bbox-crs": _query("bbox-crs", "KBS der bbox", dict(_CRS_SCHEMA)),
    "crs": _query("crs", "KBS der ausgegebenen Geometrien", dict(_CRS_SCHEMA)),
    "limit": _query(
        "limit",
        "Höchstzahl Objekte je Seite (größere Werte werden begrenzt)",
        {"type": "integer", "minimum": 1, "maximum": 10000, "default": 10},
        **_ARRAY,
    ),
    "offset": _query(
        "offset",
        "Anzahl zu überspringender Objekte",
        {"type": "integer", "minimum": 0, "default": 0},
    ),
    "datetime": _query(
        "datetime",
        "Zeitpunkt oder Zeitraum (RFC 3339, z. B. 2024-05-01 oder 2024-01-01/..)",
        {"type": "string"},
        **_ARRAY,
    ),
    "filter": _query("filter", "CQL2-Filter (cql2-text oder cql2-json)", {"type": "string"}),
    "filter-lang": _query(
        "filter-lang",
        "Sprache des Filters",
        {"type": "string", "enum": ["cql2-text", "cql2-json"], "default": "cql2-text"},
    ),
    "filter-crs": _query("filter-crs", "KBS der Geometrien im Filter", dict(_CRS_SCHEMA)),
    "sortby": _query(
        "sortby",
        "Sortierung: Eigenschaften, '-' davor für absteigend",
        {"type": "array", "items": {"type": "string", "pattern": "^[+-]?[a-z_][a-z0-9_]*$"}},
        **_ARRAY,
    ),
    "properties": _query(
        "properties",
        "Nur diese Eigenschaften ausgeben",
        {"type": "array", "items": {"type": "string"}},
        **_ARRAY,
    ),
    "near": _query(
        "near",
        "Nach Entfernung von diesem Punkt sortieren, nächstes zuerst (x,y in near-crs)",
        {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "number"}},
        **_ARRAY,
    ),
    "near-crs": _query("near-crs", "KBS des Punkts near", dict(_CRS_SCHEMA)),
}
META_PARAMS = [_ref("f"), _ref("lang")]
ITEM_PARAMS = [_ref("f"), _ref("lang"), _ref("crs"), _ref("properties")]
_ITEMS_NAMES = (
    "bbox", "bbox-crs", "limit", "offset", "datetime", "filter", "filter-lang",
    "filter-crs", "sortby", "near", "near-crs",
)  # fmt: skip
ITEMS_PARAMS = [*ITEM_PARAMS, *(_ref(n) for n in _ITEMS_NAMES)]
ITEMS_PARAM_NAMES = frozenset(["f", "lang", "crs", "properties", *_ITEMS_NAMES])

_EXCEPTION = {
    "type": "object",
    "required": ["code"],
    "properties": {
        "code": {"type": "string"},
        "description": {"type": "string"},
        "details": {"type": "object"},
    },
}
_ERRORS = {
    str(status): {
        "description": text,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/exception"}}},
    }
    for status, text in (
        (400, "Ungültiger Parameter"),
        (404, "Nicht gefunden"),
        (406, "Format nicht angeboten"),
        (500, "Serverfehler"),
    )
}
_CONTENT = {
    "json": ["application/json", "text/html"],
    "features": ["application/geo+json", "text/html"],
    "feature": ["application/geo+json", "text/html"],
    "schema": ["application/schema+json", "text/html"],
    "openapi": ["application/vnd.oai.openapi+json;version=3.0", "text/html"],
    "download": [
        "application/geo+json",
        "application/geopackage+sqlite3",
        "text/csv",
        "application/zip",
    ],
}
COMPONENTS: dict[str, Any] = {
    "parameters": PARAMETERS,
    "schemas": {"exception": _EXCEPTION},
}


def components(
    layer_ids: list[str], max_limit: int, crs_uris: list[str], formats: list[str]
) -> dict[str, Any]:
    """A fresh copy of the components with the enumerations of this server."""
    result = copy.deepcopy(COMPONENTS)
    params = result["parameters"]
    params["collectionId"]["schema"]["enum"] = layer_ids or ["-"]
    params["limit"]["schema"]["maximum"] = max_limit
    for name in ("crs", "bbox-crs", "filter-crs", "near-crs"):
        params[name]["schema"]["enum"] = crs_uris
    params["downloadFormat"]["schema"]["enum"] = formats
    return result


def operation(
    summary: str, operation_id: str, parameters: list[Any], tag: str, kind: str = "json"
) -> dict[str, Any]:
    """A GET path item with 200/304 and the error responses."""
    content: dict[str, Any] = {media: {"schema": {}} for media in _CONTENT[kind]}
    return {
        "get": {
            "summary": summary,
            "operationId": operation_id,
            "tags": [tag],
            "parameters": parameters,
            "responses": {
                "200": {"description": "OK", "content": content},
                "304": {"description": "Nicht geändert (If-None-Match)"},
                **_ERRORS,
            },
        }
    }


_TYPES = {
    "text": {"type": "string"},
    "integer": {"type": "integer"},
    "float": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
}


def queryable_parameter(attribute: Attribute) -> dict[str, Any]:
    """``?name=value``: equality filter on a queryable attribute."""
    return _query(
        attribute.name,
        f"Nur Objekte mit {attribute.label} = Wert",
        dict(_TYPES.get(attribute.type, {"type": "string"})),
    )
