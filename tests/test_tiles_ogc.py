"""OGC API – Tiles: the requirements of the declared conformance classes (core, tileset,
tilesets-list, geodata-tilesets, mvt), TileJSON 3.0 and the registry wiring into /ogc."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from buergergis.tiles import metadata
from buergergis.tiles.grid import TMS_URI
from tests.tiles_support import TileLayers, tile_at

OGC = "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/"
MVT = "application/vnd.mapbox-vector-tile"


def get_json(client: FlaskClient, path: str) -> dict:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def relative(href: str) -> str:
    assert href.startswith("http://localhost/"), href
    return href.removeprefix("http://localhost")


def fill(template: str, z: int, x: int, y: int) -> str:
    return relative(
        template.replace("{tileMatrix}", str(z))
        .replace("{tileRow}", str(y))
        .replace("{tileCol}", str(x))
    )


def test_conformance_declares_the_tiles_classes(
    client: FlaskClient, tile_layers: TileLayers
) -> None:
    classes = get_json(client, "/ogc/conformance")["conformsTo"]
    for name in ("core", "tileset", "tilesets-list", "geodata-tilesets", "mvt"):
        assert OGC + name in classes
    assert OGC + "png" not in classes, "raster layers are not listed as collections yet"


def test_collection_and_landing_page_link_to_tiles(
    client: FlaskClient, tile_layers: TileLayers
) -> None:
    links = get_json(client, f"/ogc/collections/{tile_layers.parcels}")["links"]
    tiles = [lk for lk in links if lk["rel"] == metadata.REL_TILESETS["vector"]]
    assert len(tiles) == 1
    assert get_json(client, relative(tiles[0]["href"]))["tilesets"]
    landing = get_json(client, "/ogc/?f=json")["links"]
    schemes = [lk for lk in landing if lk["rel"] == metadata.REL_TILING_SCHEMES]
    assert schemes and get_json(client, relative(schemes[0]["href"]))["tileMatrixSets"]


@pytest.mark.parametrize(("attr", "data_type"), [("parcels", "vector"), ("ramp", "map")])
def test_tilesets_list_items(
    client: FlaskClient, tile_layers: TileLayers, attr: str, data_type: str
) -> None:
    layer_id = getattr(tile_layers, attr)
    doc = get_json(client, f"/ogc/collections/{layer_id}/tiles")
    (item,) = doc["tilesets"]
    assert item["dataType"] == data_type and item["tileMatrixSetURI"] == TMS_URI and item["crs"]
    rels = {lk["rel"]: lk["href"] for lk in item["links"]}
    assert rels["self"].endswith(f"/ogc/collections/{layer_id}/tiles/WebMercatorQuad")
    assert get_json(client, relative(rels[metadata.REL_TILING_SCHEME]))["id"] == "WebMercatorQuad"


def test_tileset_metadata_and_templated_tile_links(
    client: FlaskClient, tile_layers: TileLayers
) -> None:
    doc = get_json(client, f"/ogc/collections/{tile_layers.parcels}/tiles/WebMercatorQuad")
    assert doc["dataType"] == "vector" and doc["tileMatrixSetURI"] == TMS_URI
    limits = {lim["tileMatrix"]: lim for lim in doc["tileMatrixSetLimits"]}
    assert set(limits) == {str(z) for z in range(0, 17)}
    z, x, y = tile_at(15)
    assert limits["15"]["minTileCol"] <= x <= limits["15"]["maxTileCol"]
    assert limits["15"]["minTileRow"] <= y <= limits["15"]["maxTileRow"]
    (item,) = [lk for lk in doc["links"] if lk["rel"] == "item"]
    assert item["templated"] is True and item["type"] == MVT
    tile = client.get(fill(item["href"], z, x, y))
    assert tile.status_code == 200 and tile.mimetype == MVT
    assert tile.data == client.get(f"/tiles/{tile_layers.parcels}/{z}/{x}/{y}.mvt").data, (
        "row=y, col=x"
    )
    (layer,) = doc["layers"]
    assert layer["geometryType"] == "polygons"
    props = layer["propertiesSchema"]["properties"]
    assert props["nummer"]["type"] == "integer" and props["datum"]["format"] == "date"
    assert "geheim" not in props and "fid" in props


def test_raster_tileset_offers_png_and_webp(client: FlaskClient, tile_layers: TileLayers) -> None:
    doc = get_json(client, f"/ogc/collections/{tile_layers.ramp}/tiles/WebMercatorQuad")
    assert doc["dataType"] == "map"
    items = {lk["type"]: lk["href"] for lk in doc["links"] if lk["rel"] == "item"}
    assert set(items) == {"image/png", "image/webp"}
    z, x, y = tile_at(16)
    for media, href in items.items():
        response = client.get(fill(href, z, x, y))
        assert response.status_code == 200 and response.mimetype == media
    by_accept = client.get(
        fill(items["image/png"], z, x, y).split("?")[0], headers={"Accept": "image/webp"}
    )
    assert by_accept.mimetype == "image/webp"


@pytest.mark.parametrize(
    ("suffix", "status"),
    [
        ("WebMercatorQuad/25/0/0", 404),
        ("WebMercatorQuad/3/0/8", 404),
        ("WebMercatorQuad/15/0/0", 404),  # in the grid, outside the tileset limits
        ("WebMercatorQuad/17/0/0", 404),
        ("WorldCRS84Quad/1/0/0", 404),
        ("WebMercatorQuad/x/0/0", 404),
        ("WebMercatorQuad/1/0/0?f=png", 406),
    ],
)
def test_tile_errors(
    client: FlaskClient, tile_layers: TileLayers, suffix: str, status: int
) -> None:
    response = client.get(f"/ogc/collections/{tile_layers.parcels}/tiles/{suffix}")
    assert response.status_code == status and response.get_json()["code"]


def test_tile_matrix_sets(client: FlaskClient) -> None:
    listing = get_json(client, "/ogc/tileMatrixSets")
    (entry,) = listing["tileMatrixSets"]
    assert entry["id"] == "WebMercatorQuad" and entry["uri"] == TMS_URI
    definition = get_json(client, "/ogc/tileMatrixSets/WebMercatorQuad")
    assert definition["crs"].endswith("/EPSG/0/3857") and len(definition["tileMatrices"]) == 25
    required = {
        "id",
        "scaleDenominator",
        "cellSize",
        "pointOfOrigin",
        "tileWidth",
        "tileHeight",
        "matrixWidth",
        "matrixHeight",
    }
    assert all(required <= set(tm) for tm in definition["tileMatrices"])
    assert client.get("/ogc/tileMatrixSets/NoSuchGrid").status_code == 404


def test_tilejson(client: FlaskClient, tile_layers: TileLayers) -> None:
    doc = get_json(client, f"/tiles/{tile_layers.parcels},{tile_layers.points}.json")
    assert doc["tilejson"] == "3.0.0" and doc["scheme"] == "xyz"
    pattern = rf"http://localhost/tiles/v/{tile_layers.parcels}@\d+,{tile_layers.points}@\d+/\{{z\}}/\{{x\}}/\{{y\}}\.mvt"
    assert len(doc["tiles"]) == 1 and re.fullmatch(pattern, doc["tiles"][0])  # versioned, immutable
    west, south, east, north = doc["bounds"]
    assert west < doc["center"][0] < east and south < doc["center"][1] < north
    assert doc["minzoom"] <= doc["center"][2] <= doc["maxzoom"] == 16
    assert "Stadt Hameln (Test)" in doc["attribution"]
    fields = {layer["id"]: layer["fields"] for layer in doc["vector_layers"]}
    assert (
        fields[tile_layers.parcels]["nummer"] == "Number"
        and fields[tile_layers.parcels]["name"] == "String"
    )
    assert "geheim" not in fields[tile_layers.parcels]
    raster_doc = get_json(client, f"/tiles/{tile_layers.ramp}.json")
    assert raster_doc["tiles"][0].endswith(".png") and "vector_layers" not in raster_doc


def test_metadata_revalidates_with_etag(client: FlaskClient, tile_layers: TileLayers) -> None:
    for path in (
        f"/tiles/{tile_layers.parcels}.json",
        f"/ogc/collections/{tile_layers.parcels}/tiles/WebMercatorQuad",
    ):
        first = client.get(path)
        again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304


def test_openapi_documents_the_tile_paths(client: FlaskClient, tile_layers: TileLayers) -> None:
    from openapi_spec_validator import validate

    response = client.get("/ogc/api?f=json")
    assert response.status_code == 200
    doc = response.get_json()
    for path in (
        "/tileMatrixSets",
        "/collections/{collectionId}/tiles",
        "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
    ):
        assert path in doc["paths"]
    validate(doc)
