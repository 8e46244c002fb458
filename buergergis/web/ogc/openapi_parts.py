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
        {"type": "integer", "minimum": 1, "default": 10},
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
        "Sortierung: Eigenschaften, '-' davor für absteigend (leer: Standardreihenfolge)",
        {"type": "array", "items": {"type": "string", "pattern": "^([+-]?[a-z_][a-z0-9_]*)?$"}},
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
    "cursor": _query(
        "cursor",
        "Weiterblättern: Marke aus dem next-Link (hinter dem letzten Objekt der vorigen Seite)",
        {"type": "string"},
    ),
}
META_PARAMS = [_ref("f"), _ref("lang")]
ITEM_PARAMS = [_ref("f"), _ref("lang"), _ref("crs"), _ref("properties")]
_ITEMS_NAMES = (
    "bbox", "bbox-crs", "limit", "offset", "datetime", "filter", "filter-lang",
    "filter-crs", "sortby", "near", "near-crs", "cursor",
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
_S = "#/components/schemas/"
#: Errors are the JSON body, or an HTML page when ``f=html`` was asked for.
ERRORS = {
    str(status): {
        "description": text,
        "content": {
            "application/json": {"schema": {"$ref": _S + "exception"}},
            "text/html": {"schema": {"type": "string"}},
        },
        **({"headers": {"Retry-After": {"schema": {"type": "integer"}}}} if status == 503 else {}),
    }
    for status, text in (
        (400, "Ungültiger Parameter"),
        (404, "Nicht gefunden"),
        (406, "Format nicht angeboten"),
        (414, "Adresse (URL) zu lang"),
        (500, "Serverfehler"),
        (503, "Datenbank vorübergehend nicht erreichbar (Retry-After)"),
    )
}
_LINK = {
    "type": "object",
    "required": ["href", "rel"],
    "properties": {
        "href": {"type": "string"},
        "rel": {"type": "string"},
        "type": {"type": "string"},
        "title": {"type": "string"},
        "hreflang": {"type": "string"},
    },
}
_GEOMETRY = {
    "type": "object",
    "nullable": True,
    "required": ["type"],
    "properties": {
        "type": {
            "type": "string",
            "enum": [
                "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
                "MultiPolygon", "GeometryCollection",
            ],
        },
        "coordinates": {"type": "array"},
        "geometries": {"type": "array", "items": {"$ref": _S + "geometryGeoJSON"}},
    },
}  # fmt: skip
_FEATURE = {
    "type": "object",
    "required": ["type", "geometry", "properties"],
    "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        "geometry": {"$ref": _S + "geometryGeoJSON"},
        "properties": {"type": "object", "nullable": True},
        "distance": {"type": "number"},
        "links": {"type": "array", "items": {"$ref": _S + "link"}},
    },
}
_FEATURE_COLLECTION = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {"type": "array", "items": {"$ref": _S + "featureGeoJSON"}},
        "links": {"type": "array", "items": {"$ref": _S + "link"}},
        "timeStamp": {"type": "string", "format": "date-time"},
        "numberMatched": {"type": "integer", "minimum": 0},
        "numberReturned": {"type": "integer", "minimum": 0},
    },
}
#: Values of ``f`` each kind of operation accepts (``json`` wherever a JSON format is offered).
_F_VALUES = {
    "json": ["json", "html"],
    "features": ["geojson", "json", "html"],
    "feature": ["geojson", "json", "html"],
    "schema": ["json", "schema", "html"],
    "openapi": ["json", "openapi", "html"],
}
#: Response schemas per media type and kind (the GeoJSON bodies are validated by clients).
_SCHEMAS = {
    ("features", "application/geo+json"): {"$ref": _S + "featureCollectionGeoJSON"},
    ("feature", "application/geo+json"): {"$ref": _S + "featureGeoJSON"},
    ("download", "application/geo+json"): {"$ref": _S + "featureCollectionGeoJSON"},
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
    "schemas": {
        "exception": _EXCEPTION,
        "link": _LINK,
        "geometryGeoJSON": _GEOMETRY,
        "featureGeoJSON": _FEATURE,
        "featureCollectionGeoJSON": _FEATURE_COLLECTION,
    },
}


def components(
    layer_ids: list[str], max_limit: int, crs_uris: list[str], formats: list[str]
) -> dict[str, Any]:
    """A fresh copy of the components with the enumerations of this server."""
    result = copy.deepcopy(COMPONENTS)
    params = result["parameters"]
    params["collectionId"]["schema"]["enum"] = layer_ids or ["-"]
    # no "maximum": larger values are cut to it, not refused (Part 1, fc-limit-response-1)
    params["limit"]["description"] += f"; höchstens {max_limit} je Seite"
    for name in ("crs", "bbox-crs", "filter-crs", "near-crs"):
        params[name]["schema"]["enum"] = crs_uris
    params["downloadFormat"]["schema"]["enum"] = formats
    return result


def operation(
    summary: str, operation_id: str, parameters: list[Any], tag: str, kind: str = "json"
) -> dict[str, Any]:
    """A GET path item with 200/304 and the error responses; ``f`` lists what it offers."""
    content: dict[str, Any] = {
        media: {"schema": _SCHEMAS.get((kind, media), {})} for media in _CONTENT[kind]
    }
    responses: dict[str, Any] = {
        "200": {"description": "OK", "content": content},
        "304": {"description": "Nicht geändert (If-None-Match)"},
        **ERRORS,
    }
    if kind == "download":
        responses["206"] = {"description": "Teil der Datei (Range)", "content": content}
        responses["416"] = ERRORS["400"] | {"description": "Range außerhalb der Datei"}
    return {
        "get": {
            "summary": summary,
            "operationId": operation_id,
            "tags": [tag],
            "parameters": [_f_parameter(kind) if p == _ref("f") else p for p in parameters],
            "responses": responses,
        }
    }


def _f_parameter(kind: str) -> dict[str, Any]:
    """``f`` with the values this kind of operation offers."""
    schema = {"type": "string", "enum": _F_VALUES.get(kind, ["json", "html"])}
    return _query("f", "Format der Antwort (statt Accept-Header)", schema)


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
