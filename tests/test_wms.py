"""WMS 1.3.0 at /wms through real clients (OWSLib, GDAL's WMS driver) over HTTP: capabilities
with German texts, GetMap in EPSG:25832/4326/3857 drawn in the layer's style, GetFeatureInfo
as HTML and JSON, GetLegendGraphic, private layers invisible, catalog changes followed."""

from __future__ import annotations

import json
import subprocess
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest
from flask.testing import FlaskClient
from lxml import etree
from owslib.wms import WebMapService
from PIL import Image
from pyproj import Transformer
from sqlalchemy import Engine

from buergergis.catalog.parse import load_definition_file
from buergergis.ingest.pipeline import load_layer
from buergergis.settings import Settings
from tests.wms_support import PRIVATE, close, free_lot, hex_rgb, kita, load_wms_layers, rgba

pytestmark = pytest.mark.timeout(300)
KITA_COLOUR = "#e66101"  # layers/kitas.yaml style.color
FREE_COLOUR = "#1a9850"  # layers/holzverkauf.yaml: status frei
SIZE = 64


@pytest.fixture(scope="module")
def wms_layers(engine: Engine, demo_settings: Settings) -> list[str]:
    """Kitas, Holzverkauf, Gelände (Höhenstufen) and a private copy of the Kitas."""
    return load_wms_layers(engine, demo_settings)


@pytest.fixture(scope="module")
def wms(live_server: str, wms_layers: list[str]) -> WebMapService:
    """OWSLib's client on the capabilities of /wms."""
    return WebMapService(f"{live_server}/wms", version="1.3.0", timeout=60)


def test_capabilities_name_every_public_layer_in_german(wms: WebMapService) -> None:
    assert {"kitas", "holzverkauf", "gelaende-farbe"} <= set(wms.contents)
    assert PRIVATE not in wms.contents
    kitas = wms["kitas"]
    assert kitas.title == "Kindertagesstätten"
    assert kitas.abstract is not None and "Kindertagesstätten in Hameln" in kitas.abstract
    assert "Kindergarten" in kitas.keywords
    assert {"EPSG:25832", "EPSG:4326", "EPSG:3857"} <= set(kitas.crsOptions)
    assert kitas.queryable == 1
    ident = wms.identification
    assert ident.title == "BürgerGIS Hameln" and "Hameln" in ident.keywords
    assert "Datenlizenz Deutschland – Zero – Version 2.0" in ident.accessconstraints
    assert wms.provider.name == "Stadt Hameln"
    contact = wms.provider.contact  # (OWSLib 0.35 misses the e-mail of WMS 1.3.0: no namespace)
    assert (contact.name, contact.city, contact.postcode) == (
        "Geoinformation und Vermessung",
        "Hameln",
        "31785",
    )
    formats = wms.getOperationByName("GetFeatureInfo").formatOptions
    assert {"text/html", "application/json"} <= set(formats)


def _bbox(crs: str, lon: float, lat: float, half_m: float) -> tuple[float, float, float, float]:
    """A square around the point in ``crs`` (x/y order; OWSLib swaps for EPSG:4326)."""
    if crs == "EPSG:4326":
        d_lat = half_m / 111_320
        d_lon = d_lat * 1.63  # cos(52.1°)
        return (lon - d_lon, lat - d_lat, lon + d_lon, lat + d_lat)
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    return (x - half_m, y - half_m, x + half_m, y + half_m)


@pytest.mark.parametrize("crs", ["EPSG:25832", "EPSG:4326", "EPSG:3857"])
def test_getmap_draws_each_layer_in_its_style_in_every_crs(
    wms: WebMapService, engine: Engine, crs: str
) -> None:
    spot = kita(engine)
    image = wms.getmap(
        layers=["kitas"], styles=[""], srs=crs, bbox=_bbox(crs, spot.lon, spot.lat, 60),
        size=(SIZE, SIZE), format="image/png", transparent=True,
    ).read()  # fmt: skip
    assert rgba(image, SIZE // 2, SIZE // 2)[:3] == hex_rgb(KITA_COLOUR)
    assert rgba(image, 2, 2)[3] == 0  # transparent away from the point

    lot, radius = free_lot(engine)
    image = wms.getmap(
        layers=["holzverkauf"], styles=[""], srs=crs,
        bbox=_bbox(crs, lot.lon, lot.lat, radius * 2), size=(SIZE, SIZE),
        format="image/png", transparent=True,
    ).read()  # fmt: skip
    pixel = rgba(image, SIZE // 2, SIZE // 2)
    assert close(pixel[:3], hex_rgb(FREE_COLOUR)), pixel  # the class colour of 'frei'
    assert 100 <= pixel[3] <= 130, pixel  # fill opacity 0.45


def test_getmap_of_the_raster_uses_its_colour_ramp(wms: WebMapService, engine: Engine) -> None:
    spot = kita(engine)
    image = wms.getmap(
        layers=["gelaende-farbe"], styles=[""], srs="EPSG:25832",
        bbox=_bbox("EPSG:25832", spot.lon, spot.lat, 500), size=(SIZE, SIZE), format="image/png",
    ).read()  # fmt: skip
    r, g, b, a = rgba(image, SIZE // 2, SIZE // 2)
    assert a > 0 and len({r, g, b}) > 1  # coloured (terrain ramp), not grey


def _info(wms: WebMapService, engine: Engine, fmt: str, layer: str = "kitas") -> bytes:
    spot = kita(engine)
    return wms.getfeatureinfo(
        layers=[layer], query_layers=[layer], styles=[""], srs="EPSG:25832",
        bbox=_bbox("EPSG:25832", spot.lon, spot.lat, 60), size=(SIZE, SIZE),
        format="image/png", xy=(SIZE // 2, SIZE // 2), info_format=fmt, feature_count=5,
    ).read()  # fmt: skip


def test_getfeatureinfo_answers_json_and_html(wms: WebMapService, engine: Engine) -> None:
    spot = kita(engine)
    body = json.loads(_info(wms, engine, "application/json"))
    assert body["type"] == "FeatureCollection"
    ids = [f["id"] for f in body["features"]]
    assert spot.fid in ids
    feature = body["features"][ids.index(spot.fid)]
    assert feature["properties"]["kennung"] == spot.fid
    assert isinstance(feature["properties"]["plaetze"], int)
    assert feature["links"][0]["href"].endswith(f"/ogc/collections/kitas/items/{spot.fid}")

    html = _info(wms, engine, "text/html").decode()
    assert "<caption>Kindertagesstätten</caption>" in html
    assert '<th scope="row">Träger</th>' in html and f'data-fid="{spot.fid}"' in html


def test_legend_shows_the_classes_of_the_style(client: FlaskClient, wms_layers: list[str]) -> None:
    response = client.get(
        "/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetLegendGraphic&LAYER=holzverkauf"
        "&FORMAT=image/png&SLD_VERSION=1.1.0"
    )
    assert response.status_code == 200 and response.mimetype == "image/png"
    with Image.open(BytesIO(response.data)) as image:
        pixels = np.asarray(image.convert("RGBA")).reshape(-1, 4)
    strokes = {tuple(int(v) for v in p[:3]) for p in pixels if p[3] == 255}
    for colour in (
        "#1a9850",
        "#e08214",
        "#8c8c8c",
        "#5aae61",
    ):  # frei, reserviert, verkauft, andere
        assert any(close(c, hex_rgb(colour)) for c in strokes), colour


def test_private_layers_stay_invisible(client: FlaskClient, wms_layers: list[str]) -> None:
    caps = client.get("/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities").data
    assert PRIVATE.encode() not in caps and b"Kitas (intern)" not in caps
    for request in (
        f"REQUEST=GetMap&LAYERS={PRIVATE}&STYLES=&CRS=EPSG:25832&BBOX=520000,5770000,530000,"
        "5780000&WIDTH=64&HEIGHT=64&FORMAT=image/png",
        f"REQUEST=GetFeatureInfo&LAYERS={PRIVATE}&QUERY_LAYERS={PRIVATE}&STYLES=&CRS=EPSG:25832"
        "&BBOX=520000,5770000,530000,5780000&WIDTH=64&HEIGHT=64&I=1&J=1&INFO_FORMAT=application/json",
        f"REQUEST=GetLegendGraphic&LAYER={PRIVATE}&FORMAT=image/png&SLD_VERSION=1.1.0",
    ):
        response = client.get(f"/wms?SERVICE=WMS&VERSION=1.3.0&{request}")
        root = etree.fromstring(response.data)
        assert etree.QName(root).localname == "ServiceExceptionReport", request
        assert root[0].get("code") == "LayerNotDefined"


def test_a_new_layer_appears_without_restart(
    client: FlaskClient, engine: Engine, demo_settings: Settings, wms_layers: list[str]
) -> None:
    caps = client.get("/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities").data
    assert b"<Name>kitas-kopie</Name>" not in caps
    kitas = load_definition_file(demo_settings.layers_path / "kitas.yaml", demo_settings.root)
    load_layer(engine, demo_settings, kitas.model_copy(update={"id": "kitas-kopie"}))
    caps = client.get("/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities").data
    assert b"<Name>kitas-kopie</Name>" in caps


@pytest.mark.usefixtures("wms_layers")
def test_gdal_reads_the_wms(live_server: str, engine: Engine, tmp_path: Path) -> None:
    """GDAL's WMS driver as a second outside client: capabilities → subdataset → pixels."""
    info = subprocess.run(
        ["gdalinfo", f"WMS:{live_server}/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities"],
        capture_output=True, text=True, timeout=120, check=True, cwd=tmp_path,
    ).stdout  # fmt: skip
    assert "LAYERS=kitas&" in info and PRIVATE not in info
    spot = kita(engine)
    service = tmp_path / "kitas.xml"  # GDAL's WMS service description: exactly our window
    service.write_text(
        f"""<GDAL_WMS><Service name="WMS"><Version>1.3.0</Version>
        <ServerUrl>{live_server}/wms?</ServerUrl><Layers>kitas</Layers><CRS>EPSG:25832</CRS>
        <ImageFormat>image/png</ImageFormat><Transparent>TRUE</Transparent></Service>
        <DataWindow><UpperLeftX>{spot.x - 60}</UpperLeftX><UpperLeftY>{spot.y + 60}</UpperLeftY>
        <LowerRightX>{spot.x + 60}</LowerRightX><LowerRightY>{spot.y - 60}</LowerRightY>
        <SizeX>{SIZE}</SizeX><SizeY>{SIZE}</SizeY></DataWindow><BandsCount>4</BandsCount>
        <BlockSizeX>{SIZE}</BlockSizeX><BlockSizeY>{SIZE}</BlockSizeY></GDAL_WMS>"""
    )
    out = tmp_path / "kita.png"
    subprocess.run(
        ["gdal_translate", "-q", "-of", "PNG", str(service), str(out)],
        check=True,
        timeout=120,
        cwd=tmp_path,  # (GDAL caches WMS tiles in ./gdalwmscache)
    )
    assert rgba(out.read_bytes(), SIZE // 2, SIZE // 2)[:3] == hex_rgb(KITA_COLOUR)


def test_errors_of_our_own_are_ogc_exception_reports(client: FlaskClient) -> None:
    response = client.get("/wmts?SERVICE=WMTS&REQUEST=Tanzen")
    assert response.status_code == 400
    root = etree.fromstring(response.data)
    assert etree.QName(root).localname == "ExceptionReport"
    assert "GetTile" in root[0][0].text
