"""WMTS 1.0.0 at /wmts (KVP and RESTful) through OWSLib and GDAL: the public layers on the
map's WebMercatorQuad grid, drawn in their style; a raster layer's WMTS tile is its map tile;
private layers are invisible."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from lxml import etree
from owslib.wmts import WebMapTileService
from pyproj import Transformer
from sqlalchemy import Engine

from buergergis.settings import Settings
from buergergis.tiles.grid import ORIGIN_SHIFT
from tests.wms_support import PRIVATE, hex_rgb, kita, load_wms_layers, rgba

pytestmark = pytest.mark.timeout(300)
KITA_COLOUR = "#e66101"
Z = 16


@pytest.fixture(scope="module")
def wms_layers(engine: Engine, demo_settings: Settings) -> list[str]:
    """Kitas, Holzverkauf, Gelände (Höhenstufen) and a private copy of the Kitas."""
    return load_wms_layers(engine, demo_settings)


@pytest.fixture(scope="module")
def wmts(live_server: str, wms_layers: list[str]) -> WebMapTileService:
    """OWSLib's client on /wmts."""
    return WebMapTileService(f"{live_server}/wmts?SERVICE=WMTS&REQUEST=GetCapabilities", timeout=60)


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int, int]:
    """(col, row, pixel x, pixel y) of a WGS84 point on WebMercatorQuad zoom ``z``."""
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True).transform(lon, lat)
    size = 2 * ORIGIN_SHIFT / (1 << z)
    fx, fy = (x + ORIGIN_SHIFT) / size, (ORIGIN_SHIFT - y) / size
    return int(fx), int(fy), int((fx % 1) * 256), int((fy % 1) * 256)


def test_capabilities_list_public_layers_on_the_map_grid(wmts: WebMapTileService) -> None:
    assert {"kitas", "holzverkauf", "gelaende-farbe"} <= set(wmts.contents)
    assert PRIVATE not in wmts.contents
    layer = wmts["kitas"]
    assert layer.title == "Kindertagesstätten" and "Kindergarten" in layer.keywords
    assert "WebMercatorQuad" in layer.tilematrixsetlinks
    assert layer.resourceURLs[0]["template"].endswith(
        "/wmts/1.0.0/kitas/{Style}/{TileMatrixSet}/{TileMatrix}/{TileRow}/{TileCol}.png"
    )
    matrix = wmts.tilematrixsets["WebMercatorQuad"].tilematrix["16"]
    assert matrix.matrixwidth == 1 << 16 and matrix.tilewidth == 256
    assert wmts.identification.title == "BürgerGIS Hameln"
    assert wmts.provider.name == "Stadt Hameln"


def test_gettile_draws_the_layer_where_it_is(
    wmts: WebMapTileService, client: FlaskClient, engine: Engine
) -> None:
    spot = kita(engine)
    col, row, px, py = _tile_of(spot.lon, spot.lat, Z)
    kvp = wmts.gettile(
        layer="kitas", tilematrixset="WebMercatorQuad", tilematrix=str(Z), row=row, column=col,
        format="image/png",
    ).read()  # fmt: skip
    assert rgba(kvp, px, py)[:3] == hex_rgb(KITA_COLOUR)
    rest = client.get(f"/wmts/1.0.0/kitas/default/WebMercatorQuad/{Z}/{row}/{col}.png")
    assert rest.status_code == 200 and rest.mimetype == "image/png"
    assert rest.data == kvp  # one tile, two encodings of the request
    again = client.get(
        f"/wmts/1.0.0/kitas/default/WebMercatorQuad/{Z}/{row}/{col}.png",
        headers={"If-None-Match": rest.headers["ETag"]},
    )
    assert again.status_code == 304


def test_raster_tiles_are_the_map_tiles(
    client: FlaskClient, engine: Engine, wms_layers: list[str]
) -> None:
    spot = kita(engine)
    col, row, _, _ = _tile_of(spot.lon, spot.lat, 13)
    wmts_tile = client.get(f"/wmts/1.0.0/gelaende-farbe/default/WebMercatorQuad/13/{row}/{col}.png")
    map_tile = client.get(f"/tiles/gelaende-farbe/13/{col}/{row}.png")
    assert wmts_tile.status_code == map_tile.status_code == 200
    assert wmts_tile.data == map_tile.data


def test_private_and_unknown_layers_are_404_exception_reports(
    client: FlaskClient, wms_layers: list[str]
) -> None:
    caps = client.get("/wmts/1.0.0/WMTSCapabilities.xml").data
    assert PRIVATE.encode() not in caps
    for layer in (PRIVATE, "gibt-es-nicht"):
        response = client.get(f"/wmts/1.0.0/{layer}/default/WebMercatorQuad/13/2700/4308.png")
        assert response.status_code == 404
        assert etree.QName(etree.fromstring(response.data)).localname == "ExceptionReport"
    kvp = client.get(
        f"/wmts?SERVICE=WMTS&REQUEST=GetTile&LAYER={PRIVATE}&STYLE=default&FORMAT=image/png"
        "&TILEMATRIXSET=WebMercatorQuad&TILEMATRIX=13&TILEROW=2700&TILECOL=4308"
    )
    assert kvp.status_code == 404


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("kitas/default/WebMercatorQuad/13/2700/x.png", 400),
        ("kitas/default/Anders/13/2700/4308.png", 400),
        ("kitas/bunt/WebMercatorQuad/13/2700/4308.png", 400),
        ("kitas/default/WebMercatorQuad/13/2700/99999.png", 404),
        ("kitas/default/WebMercatorQuad/21/0/0.png", 404),
        ("kitas/default/WebMercatorQuad/13/2700/4308.jpg", 404),
    ],
)
def test_bad_tile_requests_are_refused(
    client: FlaskClient, wms_layers: list[str], path: str, status: int
) -> None:
    response = client.get(f"/wmts/1.0.0/{path}")
    assert response.status_code == status
    assert etree.QName(etree.fromstring(response.data)).localname == "ExceptionReport"


@pytest.mark.usefixtures("wms_layers")
def test_gdal_reads_the_wmts(live_server: str, engine: Engine, tmp_path: Path) -> None:
    """GDAL's WMTS driver: capabilities → layer → pixels on the right spot."""
    url = f"WMTS:{live_server}/wmts/1.0.0/WMTSCapabilities.xml"
    info = subprocess.run(
        ["gdalinfo", url], capture_output=True, text=True, timeout=120, check=True, cwd=tmp_path
    )
    assert "layer=kitas" in info.stdout and PRIVATE not in info.stdout
    spot = kita(engine)
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True).transform(
        spot.lon, spot.lat
    )
    out = tmp_path / "kita.png"
    subprocess.run(
        ["gdal_translate", "-q", "-of", "PNG", "-projwin", str(x - 40), str(y + 40), str(x + 40),
         str(y - 40), "-outsize", "64", "64", f"{url},layer=kitas,tilematrixset=WebMercatorQuad",
         str(out)],
        check=True, timeout=120, cwd=tmp_path,  # (GDAL caches tiles in ./gdalwmscache)
    )  # fmt: skip
    assert rgba(out.read_bytes(), 32, 32)[:3] == hex_rgb(KITA_COLOUR)
