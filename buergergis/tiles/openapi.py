"""OpenAPI 3.0 path items of OGC API – Tiles (merged into ``/ogc/api`` by the OGC area)."""

from __future__ import annotations

from typing import Any

from buergergis.tiles.grid import MAX_ZOOM, TMS_ID
from buergergis.tiles.provider import MEDIA_TYPES

_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/exception"}}}
_COLLECTION = {"$ref": "#/components/parameters/collectionId"}


def _path(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema,
    }


_TMS = _path("tileMatrixSetId", "Kachelgitter", {"type": "string", "enum": [TMS_ID]})
_TILE = [
    _path("tileMatrix", "Zoomstufe", {"type": "string", "pattern": "^[0-9]{1,2}$"}),
    _path("tileRow", "Zeile (y)", {"type": "integer", "minimum": 0}),
    _path("tileCol", "Spalte (x)", {"type": "integer", "minimum": 0}),
]
_F = {
    "name": "f",
    "in": "query",
    "required": False,
    "description": "Kachelformat (sonst nach Accept; Standard mvt bzw. png)",
    "schema": {"type": "string", "enum": sorted(MEDIA_TYPES)},
}


def _get(summary: str, op_id: str, params: list[Any], media: list[str]) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "operationId": op_id,
            "tags": ["Tiles"],
            "parameters": params,
            "responses": {
                "200": {"description": "OK", "content": {m: {"schema": {}} for m in media}},
                "304": {"description": "Nicht geändert (If-None-Match)"},
                "400": {"description": "Ungültiger Parameter", "content": _ERROR},
                "404": {"description": "Nicht gefunden", "content": _ERROR},
                "406": {"description": "Format nicht angeboten", "content": _ERROR},
            },
        }
    }


def openapi_paths() -> dict[str, Any]:
    """Path items keyed relative to ``/ogc``."""
    tiles = list(MEDIA_TYPES.values())
    return {
        "/tileMatrixSets": _get("Kachelgitter", "tileMatrixSets", [], ["application/json"]),
        "/tileMatrixSets/{tileMatrixSetId}": _get(
            "Definition eines Kachelgitters", "tileMatrixSet", [_TMS], ["application/json"]
        ),
        "/collections/{collectionId}/tiles": _get(
            "Kachelsätze eines Datensatzes",
            "collectionTilesets",
            [_COLLECTION],
            ["application/json"],
        ),
        "/collections/{collectionId}/tiles/{tileMatrixSetId}": _get(
            "Metadaten eines Kachelsatzes",
            "collectionTileset",
            [_COLLECTION, _TMS],
            ["application/json"],
        ),
        "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}": _get(
            f"Eine Kachel (Zoom 0–{MAX_ZOOM})",
            "collectionTile",
            [_COLLECTION, _TMS, *_TILE, _F],
            tiles,
        ),
    }
