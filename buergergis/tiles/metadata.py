"""Tile metadata documents: TileJSON 3.0 and OGC API – Tiles (tilesets, tileset, TMS).

Pure functions from layer records and a base URL to JSON-ready dicts; the views only add
validators. Conformance classes and the links other OGC resources carry are listed here too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from buergergis.catalog.models import VectorLayer
from buergergis.errors import NotFound
from buergergis.maps.styling import geometry_class, maplibre_layers
from buergergis.store.catalog import LayerRecord
from buergergis.tiles.grid import (
    CRS_URI,
    TMS_ID,
    TMS_URI,
    TileAddress,
    tile_range,
    tms,
    zoom_limits,
)
from buergergis.tiles.provider import MEDIA_TYPES, zoom_range

_OGC = "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/"
#: OGC API – Tiles conformance classes this service implements (tested in test_tiles_ogc.py).
#: ``png`` is not declared: raster layers have PNG tilesets, but ``/ogc/collections`` lists
#: vector layers only, so those tilesets are not reachable from a listed collection.
CONFORMANCE = [
    _OGC + "core",
    _OGC + "tileset",
    _OGC + "tilesets-list",
    _OGC + "geodata-tilesets",
    _OGC + "mvt",
]
REL_TILING_SCHEME = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
REL_TILING_SCHEMES = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"
REL_TILESETS = {
    "vector": "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
    "raster": "http://www.opengis.net/def/rel/ogc/1.0/tilesets-map",
}
REL_GEODATA = "http://www.opengis.net/def/rel/ogc/1.0/geodata"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
_JSON_TYPES = {
    "text": {"type": "string"},
    "integer": {"type": "integer"},
    "float": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "json": {"type": "string", "contentMediaType": "application/json"},
}
_TILEJSON_TYPES = {"integer": "Number", "float": "Number", "boolean": "Boolean"}


def formats(record: LayerRecord) -> list[str]:
    """Tile formats a layer offers, default first."""
    return ["mvt"] if record.kind == "vector" else ["png", "webp"]


def collection_links(record: LayerRecord, base: str) -> list[dict[str, Any]]:
    """Links ``/ogc/collections/{id}`` carries to its tilesets (geodata-tilesets class)."""
    return [
        {
            "rel": REL_TILESETS[record.kind],
            "href": f"{base}/ogc/collections/{record.id}/tiles",
            "type": "application/json",
            "title": "Kachelsätze",
        }
    ]


def landing_links(base: str) -> list[dict[str, Any]]:
    """Links the OGC landing page carries to the tile matrix sets."""
    return [
        {
            "rel": REL_TILING_SCHEMES,
            "href": f"{base}/ogc/tileMatrixSets",
            "type": "application/json",
            "title": "Kachelgitter",
        }
    ]


def union_bbox(records: Sequence[LayerRecord]) -> tuple[float, float, float, float]:
    """The WGS84 bbox around all layers (the world when none has one)."""
    boxes = [r.bbox for r in records if r.bbox]
    if not boxes:
        return (-180.0, -85.0511287798066, 180.0, 85.0511287798066)
    return (
        min(b[0] for b in boxes),
        max(min(b[1] for b in boxes), -85.0511287798066),
        max(b[2] for b in boxes),
        min(max(b[3] for b in boxes), 85.0511287798066),
    )


def centre(bbox: tuple[float, float, float, float], low: int, high: int) -> list[float]:
    """``[lon, lat, zoom]`` where the whole bbox fits into about one 512-px view."""
    width = max(bbox[2] - bbox[0], bbox[3] - bbox[1], 1e-6)
    zoom = int(min(max(math.floor(math.log2(360 / width)) + 1, low), high))
    return [(bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2, zoom]


def tilejson(
    records: Sequence[LayerRecord], base: str, *, versioned_key: str | None = None
) -> dict[str, Any]:
    """TileJSON 3.0.0 for one or several layers (vector) or one raster layer.

    ``versioned_key`` (public vector layers): immutable tile URLs ``/tiles/v/<key>/…`` that
    nginx answers from the tile cache without the app.
    """
    vector_tiles = records[0].kind == "vector"
    low, high = zoom_range(records, vector_tiles)
    ids = ",".join(r.id for r in records)
    ext = "mvt" if vector_tiles else "png"
    if versioned_key and vector_tiles:
        ids = f"v/{versioned_key}"
    bbox = union_bbox(records)
    doc: dict[str, Any] = {
        "tilejson": "3.0.0",
        "name": " + ".join(r.definition.title for r in records),
        "description": " ".join(r.definition.description for r in records).strip(),
        "attribution": " | ".join(dict.fromkeys(r.definition.attribution for r in records)),
        "scheme": "xyz",
        "tiles": [f"{base}/tiles/{ids}/{{z}}/{{x}}/{{y}}.{ext}"],
        "minzoom": low,
        "maxzoom": high,
        "bounds": list(bbox),
        "center": centre(bbox, low, high),
    }
    if vector_tiles:
        doc["vector_layers"] = [_vector_layer(r) for r in records]
    return doc


def maplibre_style(record: LayerRecord, base: str, *, versioned: bool = False) -> dict[str, Any]:
    """MapLibre style JSON of one vector layer: its tiles drawn with the layer's own style
    (``style.by_attribute`` classes included, see ``maps.styling``).

    ``versioned`` (public layers): immutable tile URLs ``/tiles/v/<id>@<version>/…`` that nginx
    answers from the tile cache without the app."""
    path = f"v/{record.id}@{record.version}" if versioned else record.id
    definition = record.definition
    if not isinstance(definition, VectorLayer):
        raise NotFound("Stile gibt es nur für Vektorlayer.")
    low, high = zoom_range([record], True)
    bbox = union_bbox([record])
    geometry = geometry_class(record.geometry_type)
    return {
        "version": 8,
        "name": definition.title,
        "metadata": {"buergergis:layer": record.id, "buergergis:version": record.version},
        "center": centre(bbox, low, high)[:2],
        "zoom": centre(bbox, low, high)[2],
        "sources": {
            record.id: {
                "type": "vector",
                "tiles": [f"{base}/tiles/{path}/{{z}}/{{x}}/{{y}}.mvt"],
                "minzoom": low,
                "maxzoom": high,
                "bounds": list(bbox),
                "attribution": definition.attribution,
            }
        },
        "layers": maplibre_layers(definition.style, record.id, record.id, geometry),
    }


def _vector_layer(record: LayerRecord) -> dict[str, Any]:
    fields = {"fid": "String"}
    for a in record.attributes:
        fields[a.name] = _TILEJSON_TYPES.get(a.type, "String")
    low, high = zoom_range([record], True)
    return {
        "id": record.id,
        "description": record.definition.title,
        "minzoom": low,
        "maxzoom": high,
        "fields": fields,
    }


def within_limits(record: LayerRecord, tile: TileAddress) -> bool:
    """Whether a tile lies inside the ``tileMatrixSetLimits`` the tileset metadata announces."""
    x0, y0, x1, y1 = tile_range(union_bbox([record]), tile.z)
    return x0 <= tile.x <= x1 and y0 <= tile.y <= y1


def tilesets(record: LayerRecord, base: str) -> dict[str, Any]:
    """``/ogc/collections/{id}/tiles``: the list of tilesets (one: WebMercatorQuad)."""
    href = f"{base}/ogc/collections/{record.id}/tiles"
    return {
        "links": [
            {"rel": "self", "href": href, "type": "application/json"},
            {"rel": "collection", "href": f"{base}/ogc/collections/{record.id}"},
        ],
        "tilesets": [
            {
                "title": record.definition.title,
                "dataType": _data_type(record),
                "crs": CRS_URI,
                "tileMatrixSetURI": TMS_URI,
                "links": [
                    {"rel": "self", "href": f"{href}/{TMS_ID}", "type": "application/json"},
                    _tms_link(base),
                ],
            }
        ],
    }


def tileset(record: LayerRecord, base: str) -> dict[str, Any]:
    """``/ogc/collections/{id}/tiles/WebMercatorQuad``: tileset metadata (2DTMS 2.0)."""
    href = f"{base}/ogc/collections/{record.id}/tiles/{TMS_ID}"
    low, high = zoom_range([record], record.kind == "vector")
    bbox = union_bbox([record])
    items = [
        {
            "rel": "item",
            "href": f"{href}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}?f={fmt}",
            "type": MEDIA_TYPES[fmt],
            "templated": True,
            "title": f"Kachel ({fmt.upper()})",
        }
        for fmt in formats(record)
    ]
    return {
        "title": record.definition.title,
        "description": record.definition.description,
        "dataType": _data_type(record),
        "crs": CRS_URI,
        "tileMatrixSetURI": TMS_URI,
        "version": str(record.version),
        "license": record.definition.license,
        "attribution": record.definition.attribution,
        "mediaTypes": [MEDIA_TYPES[f] for f in formats(record)],
        "tileMatrixSetLimits": zoom_limits(bbox, low, high),
        "boundingBox": {"lowerLeft": list(bbox[:2]), "upperRight": list(bbox[2:]), "crs": CRS84},
        "centerPoint": {"coordinates": centre(bbox, low, high)[:2], "tileMatrix": str(low)},
        "links": [
            {"rel": "self", "href": href, "type": "application/json"},
            _tms_link(base),
            *items,
            {
                "rel": "alternate",
                "href": f"{base}/tiles/{record.id}.json",
                "type": "application/vnd.mapbox.tile+json",
                "title": "TileJSON",
            },
            {"rel": REL_GEODATA, "href": f"{base}/ogc/collections/{record.id}"},
        ],
        "layers": [_layer(record, base, low, high)],
    }


def _layer(record: LayerRecord, base: str, low: int, high: int) -> dict[str, Any]:
    layer: dict[str, Any] = {
        "id": record.id,
        "title": record.definition.title,
        "dataType": _data_type(record),
        "minTileMatrix": str(low),
        "maxTileMatrix": str(high),
        "links": [{"rel": REL_GEODATA, "href": f"{base}/ogc/collections/{record.id}"}],
    }
    if record.kind == "vector":
        layer["geometryType"] = _geometry_family(record.geometry_type)
        properties = {"fid": {"type": "string", "title": "Objekt-ID"}}
        for a in record.attributes:
            properties[a.name] = {"title": a.label, **_JSON_TYPES[a.type]}
        layer["propertiesSchema"] = {"type": "object", "properties": properties}
    return layer


def _data_type(record: LayerRecord) -> str:
    return "vector" if record.kind == "vector" else "map"


def _geometry_family(geometry_type: str | None) -> str:
    name = (geometry_type or "").lower()
    if "polygon" in name:
        return "polygons"
    if "line" in name:
        return "lines"
    return "points"


def _tms_link(base: str) -> dict[str, Any]:
    return {
        "rel": REL_TILING_SCHEME,
        "href": f"{base}/ogc/tileMatrixSets/{TMS_ID}",
        "type": "application/json",
    }


def tile_matrix_sets(base: str) -> dict[str, Any]:
    """``/ogc/tileMatrixSets``: the tile matrix sets offered (WebMercatorQuad)."""
    definition = tms()
    href = f"{base}/ogc/tileMatrixSets/{TMS_ID}"
    return {
        "links": [
            {"rel": "self", "href": f"{base}/ogc/tileMatrixSets", "type": "application/json"}
        ],
        "tileMatrixSets": [
            {
                "id": TMS_ID,
                "title": definition.title,
                "uri": TMS_URI,
                "crs": CRS_URI,
                "links": [
                    {"rel": "self", "href": href, "type": "application/json"},
                    {"rel": REL_TILING_SCHEME, "href": href, "type": "application/json"},
                ],
            }
        ],
    }


def tile_matrix_set() -> dict[str, Any]:
    """The WebMercatorQuad definition (OGC 2DTMS 2.0 JSON) from morecantile."""
    doc: dict[str, Any] = tms().model_dump(mode="json", exclude_none=True)
    return doc
