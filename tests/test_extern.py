"""External layers (issue 16) against a real MapServer WMS on loopback (the "other
authority", tests/upstream_support.py): definitions and allow-list, tiles and legend through
MapProxy with its cache, the upstream slow or down, GetFeatureInfo in „Mein Ort“, and the
map pages (layer switcher, legend, embed, CSP without the upstream host)."""

from __future__ import annotations

import io
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from buergergis.catalog.external import ExternalService, FeatureInfo
from buergergis.catalog.models import ExternalLayer
from buergergis.catalog.parse import load_definition_file, load_definitions, load_external_file
from buergergis.errors import DefinitionError
from buergergis.extern.featureinfo import UNAVAILABLE
from buergergis.extern.proxy import unavailable_tile
from buergergis.extern.registry import load_registry
from buergergis.settings import PROJECT_ROOT, Settings, load_settings
from tests.extern_support import (
    DOWN,
    FLOOD,
    FOREIGN,
    SLOW,
    TERRAIN,
    WMTS,
    XYZ,
    extern_app,
    write_layers,
)
from tests.upstream_support import INSIDE, OUTSIDE, Upstream, upstream_wms

#: The z14 tile with the Weser by the Hameln old town (contains INSIDE).
TILE = (14, 8617, 5404)
ORIGIN = 20037508.342789244


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Upstream]:
    with upstream_wms(tmp_path_factory.mktemp("upstream"), delay_s=8.0) as running:
        yield running


@pytest.fixture(scope="module")
def ext_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("extern")


@pytest.fixture(scope="module")
def ext(settings: Settings, ext_root: Path, upstream: Upstream) -> Flask:
    return extern_app(settings, ext_root, upstream)


@pytest.fixture()
def web(ext: Flask) -> FlaskClient:
    return ext.test_client()


def rgba(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGBA")


def bbox_3857(z: int, x: int, y: int) -> str:
    size = 2 * ORIGIN / 2**z
    minx, maxy = -ORIGIN + x * size, ORIGIN - y * size
    return f"{minx},{maxy - size},{minx + size},{maxy}"


def upstream_tile(upstream: Upstream, layers: str, z: int, x: int, y: int) -> Image.Image:
    query = (
        f"SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS={layers}&STYLES=&CRS=EPSG:3857"
        f"&BBOX={bbox_3857(z, x, y)}&WIDTH=256&HEIGHT=256&FORMAT=image/png&TRANSPARENT=TRUE"
    )
    with urllib.request.urlopen(f"{upstream.url}?{query}", timeout=10) as response:
        return rgba(response.read())


# ---- definitions and the allow-list --------------------------------------------------------


def write(folder: Path, data: dict[str, Any]) -> Path:
    path = folder / f"{data['id']}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


WMS = {"type": "wms", "url": "http://127.0.0.2:8080/wms", "layers": ["a"]}


@pytest.mark.parametrize(
    ("extern", "field", "message"),
    [
        ({**WMS, "farbe": "rot"}, "extern.farbe", "unbekannter Schlüssel"),
        ({**WMS, "legend": [1]}, "extern.legend", "bool"),
        ({**WMS, "layers": []}, "extern", "mindestens einen Layernamen"),
        ({**WMS, "url": "ftp://x/wms"}, "extern.url", "http"),
        ({**WMS, "url": "http://u:p@127.0.0.2/wms"}, "extern.url", "Zugangsdaten"),
        (
            {**WMS, "featureinfo": {"template": "im {gebiet"}},
            "extern.featureinfo.template",
            "Klammern",
        ),  # fmt: skip
        ({"type": "xyz", "url": "http://127.0.0.2/{z}/{x}.png"}, "extern", "{y}"),
        (
            {
                "type": "wmts",
                "url": "http://127.0.0.2/{TileMatrix}/{TileRow}/{TileCol}.png",
                "legend": True,
            },
            "extern",
            "nur für type: wms",
        ),  # fmt: skip
    ],
)
def test_definition_is_checked_with_file_and_field(
    tmp_path: Path, extern: dict[str, Any], field: str, message: str
) -> None:
    path = write(
        tmp_path, {"id": "ext-probe", "title": "Probe", "kind": "external", "extern": extern}
    )
    with pytest.raises(DefinitionError) as err:
        load_external_file(path)
    assert f"ext-probe.yaml: Feld '{field}'" in err.value.description
    assert message in err.value.description


def test_valid_kinds_parse(tmp_path: Path) -> None:
    wmts = (
        "https://dienst.example/wmts/{Layer}/{TileMatrixSet}/{TileMatrix}/{TileRow}/{TileCol}.png"
    )
    for extern in (
        WMS,
        {"type": "xyz", "url": "https://kacheln.example/{z}/{x}/{y}.png"},
        {"type": "wmts", "url": wmts, "layers": ["bodenrichtwerte"]},
    ):
        data = {"id": "ext-ok", "title": "OK", "kind": "external", "extern": extern}
        layer = load_external_file(write(tmp_path, data))
        assert isinstance(layer, ExternalLayer) and layer.extern.type == extern["type"]


def test_host_outside_the_allow_list_is_refused_in_german(tmp_path: Path) -> None:
    write(tmp_path, {"id": "ext-nlwkn", "title": "NLWKN", "kind": "external",
                     "extern": {**WMS, "url": "https://www.umweltkarten-niedersachsen.de/wms"}})  # fmt: skip
    settings = load_settings(layers_dir=tmp_path, extern_hosts="127.0.0.2, geo.example:8443")
    registry = load_registry(settings)
    assert registry.layers == ()
    with pytest.raises(DefinitionError) as err:
        registry.check()
    text = err.value.description
    assert "ext-nlwkn.yaml: Feld 'extern.url'" in text
    assert "'www.umweltkarten-niedersachsen.de' ist nicht freigegeben" in text
    assert "BUERGERGIS_EXTERN_HOSTS" in text and "127.0.0.2, geo.example:8443" in text
    allowed = load_settings(layers_dir=tmp_path, extern_hosts="www.umweltkarten-niedersachsen.de")
    assert [la.id for la in load_registry(allowed).layers] == ["ext-nlwkn"]


def test_external_files_are_not_loaded_as_data(tmp_path: Path) -> None:
    path = write(
        tmp_path, {"id": "ext-nur", "title": "Nur extern", "kind": "external", "extern": WMS}
    )
    assert load_definitions(tmp_path, tmp_path) == []
    with pytest.raises(DefinitionError):
        load_definition_file(path, tmp_path)


def test_every_external_field_is_documented() -> None:
    docs = (PROJECT_ROOT / "docs" / "layers.md").read_text(encoding="utf-8")
    for model in (ExternalLayer, ExternalService, FeatureInfo):
        for name in model.model_fields:
            assert f"`{name}`" in docs, f"Feld {name} fehlt in docs/layers.md"


# ---- tiles, cache, legend through MapProxy ---------------------------------------------------


def test_tile_through_the_proxy_shows_the_upstream_content(
    web: FlaskClient, upstream: Upstream
) -> None:
    z, x, y = TILE
    response = web.get(f"/extern/{FLOOD}/{z}/{x}/{y}.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert "X-Extern-Status" not in response.headers
    ours, theirs = rgba(response.data), upstream_tile(upstream, "ueberschwemmung", z, x, y)
    assert ours.size == theirs.size == (256, 256)
    covered_ours = [a > 0 for *_, a in ours.getdata()]
    covered_theirs = [a > 0 for *_, a in theirs.getdata()]
    assert 0.05 < sum(covered_theirs) / len(covered_theirs) < 0.95  # river and land in the tile
    agree = sum(o == t for o, t in zip(covered_ours, covered_theirs, strict=True))
    assert agree / len(covered_ours) > 0.98
    blue = [(r, g, b) for r, g, b, a in ours.getdata() if a > 0]
    assert sum(b for *_, b in blue) / len(blue) > 150  # the flood zone's blue


def test_second_request_is_a_cache_hit(
    web: FlaskClient, upstream: Upstream, ext_root: Path
) -> None:
    z, x, y = 14, 8618, 5402  # not asked by another test
    before = upstream.seen["/wms"]
    first = web.get(f"/extern/{FLOOD}/{z}/{x}/{y}.png")
    asked = upstream.seen["/wms"]
    assert first.status_code == 200 and asked > before  # a miss asks the upstream
    again = web.get(f"/extern/{FLOOD}/{z}/{x}/{y}.png")
    neighbour = web.get(f"/extern/{FLOOD}/{z}/{x + 1}/{y}.png")  # same MapProxy meta tile
    assert again.data == first.data and neighbour.status_code == 200
    assert upstream.seen["/wms"] == asked, upstream.log[before:]  # both from the cache
    cached = list((ext_root / "shared" / "cache" / "extern" / FLOOD).rglob("*.png"))
    assert cached, "kein Kachel-Cache unter <shared>/cache/extern"


@pytest.mark.parametrize("layer_id", [XYZ, WMTS])
def test_xyz_and_wmts_tiles_match_the_wms_tile(
    web: FlaskClient, upstream: Upstream, layer_id: str
) -> None:
    z, x, y = TILE
    before = upstream.seen["/wms"]
    response = web.get(f"/extern/{layer_id}/{z}/{x}/{y}.png")
    assert response.status_code == 200 and "X-Extern-Status" not in response.headers
    assert upstream.log[-1].startswith(f"/wms?mode=tile&tilemode=gmap&tile={x}+{y}+{z}&layers=")
    assert upstream.seen["/wms"] == before + 1  # one tile, no meta tile from a tile service
    ours, theirs = rgba(response.data), upstream_tile(upstream, "ueberschwemmung", z, x, y)
    # MapServer's tile mode draws on white, GetMap transparent: compare where the blue zone is
    blue = [(is_blue(o), is_blue(t)) for o, t in zip(ours.getdata(), theirs.getdata(), strict=True)]
    assert sum(o == t for o, t in blue) / len(blue) > 0.98
    assert 0.05 < sum(o for o, _ in blue) / len(blue) < 0.95


def is_blue(pixel: tuple[int, int, int, int]) -> bool:
    r, g, b, a = pixel
    return a > 0 and b > r + 40


def test_old_cached_tiles_are_fetched_again(
    web: FlaskClient, upstream: Upstream, ext_root: Path
) -> None:
    import os
    import time

    z, x, y = 14, 8614, 5402  # not asked by another test
    web.get(f"/extern/{FLOOD}/{z}/{x}/{y}.png")
    asked = upstream.seen["/wms"]
    web.get(f"/extern/{FLOOD}/{z}/{x}/{y}.png")
    assert upstream.seen["/wms"] == asked  # fresh: from the cache
    week_ago = time.time() - 169 * 3600  # older than BUERGERGIS_EXTERN_CACHE_HOURS (168)
    for tile in (ext_root / "shared" / "cache" / "extern" / FLOOD).rglob(f"{z}/**/*.png"):
        os.utime(tile, (week_ago, week_ago))
    again = web.get(f"/extern/{FLOOD}/{z}/{x}/{y}.png")
    assert again.status_code == 200 and upstream.seen["/wms"] == asked + 1


def test_raster_layer_as_jpeg(web: FlaskClient) -> None:
    z, x, y = TILE
    response = web.get(f"/extern/{TERRAIN}/{z}/{x}/{y}.png")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    pixels = list(rgba(response.data).getdata())
    assert len(set(pixels)) > 50  # terrain colours, not an empty or notice tile


def test_slow_upstream_times_out_to_the_notice_tile(web: FlaskClient, upstream: Upstream) -> None:
    before = upstream.seen["/slow/wms"]
    response = web.get(f"/extern/{SLOW}/14/8617/5401.png")
    assert upstream.seen["/slow/wms"] == before + 1  # it was asked, and did not answer in time
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["X-Extern-Status"] == "nicht-erreichbar"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data == unavailable_tile()


def test_upstream_down_gives_the_notice_tile_and_the_map_works(web: FlaskClient) -> None:
    response = web.get(f"/extern/{DOWN}/14/8617/5400.png")
    assert response.headers["X-Extern-Status"] == "nicht-erreichbar"
    assert response.data == unavailable_tile()
    page = web.get(f"/?layers={DOWN},{FLOOD}")
    assert page.status_code == 200
    assert "Ausgefallener Dienst" in page.get_data(as_text=True)


def test_status_says_whether_the_service_answered(web: FlaskClient) -> None:
    web.get(f"/extern/{DOWN}/14/8617/5406.png")
    z, x, y = TILE
    web.get(f"/extern/{FLOOD}/{z}/{x}/{y}.png")
    down = web.get(f"/extern/{DOWN}/status.json")
    assert down.get_json() == {"layer": DOWN, "ok": False, "message": UNAVAILABLE}
    assert down.headers["Cache-Control"] == "no-store"
    assert web.get(f"/extern/{FLOOD}/status.json").get_json()["ok"] is True
    assert web.get(f"/extern/{FOREIGN}/status.json").status_code == 404


def test_notice_tile_reads_dienst_nicht_erreichbar() -> None:
    tile = rgba(unavailable_tile())
    assert tile.size == (256, 256)
    red = sum(1 for r, g, b, a in tile.getdata() if a > 200 and r > 120 and g < 80)
    assert red > 200  # the frame and the red text


def test_foreign_host_is_not_served(ext: Flask, web: FlaskClient) -> None:
    registry = ext.extensions["buergergis.extern"].registry
    assert FOREIGN not in [la.id for la in registry.layers]
    assert any("ext-fremd.yaml" in p and "nicht freigegeben" in p for p in registry.problems)
    assert web.get(f"/extern/{FOREIGN}/14/8617/5400.png").status_code == 404
    assert FOREIGN not in web.get("/").get_data(as_text=True)


def test_unknown_layer_and_tile_outside_the_grid_are_404(web: FlaskClient) -> None:
    assert web.get("/extern/gibt-es-nicht/1/0/0.png").status_code == 404
    assert web.get(f"/extern/{FLOOD}/3/8/0.png").status_code == 404


def test_legend_is_the_upstream_legend_graphic(web: FlaskClient, upstream: Upstream) -> None:
    response = web.get(f"/extern/{FLOOD}/legende.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    query = "SERVICE=WMS&VERSION=1.1.1&REQUEST=GetLegendGraphic&LAYER=ueberschwemmung&FORMAT=image/png&SLD_VERSION=1.1.0"
    with urllib.request.urlopen(f"{upstream.url}?{query}", timeout=10) as direct:
        theirs = rgba(direct.read())
    assert rgba(response.data).size == theirs.size
    assert web.get(f"/extern/{TERRAIN}/legende.png").status_code == 404  # legend not offered


# ---- the map pages -----------------------------------------------------------------------------


def test_map_page_switcher_legend_permalink_and_csp(web: FlaskClient, upstream: Upstream) -> None:
    response = web.get(f"/?layers={FLOOD}&center=52.104,9.35&zoom=14")
    page = response.get_data(as_text=True)
    assert "Überschwemmungsgebiet Weser" in page
    assert f"/extern/{FLOOD}/{{z}}/{{x}}/{{y}}.png" in page
    assert f'src="/extern/{FLOOD}/legende.png"' in page
    assert "NLWKN (Testdienst)" in page
    csp = response.headers["Content-Security-Policy"]
    assert "127.0.0.2" not in csp and upstream.netloc not in page  # nothing names the authority
    embed = web.get(f"/embed?layers={FLOOD}")
    assert f"/extern/{FLOOD}/{{z}}/{{x}}/{{y}}.png" in embed.get_data(as_text=True)
    assert "127.0.0.2" not in embed.headers["Content-Security-Policy"]


# ---- GetFeatureInfo in „Mein Ort“ / „Was gilt hier?“ ---------------------------------------


@pytest.mark.usefixtures("demo_layers")
def test_mein_ort_names_the_flood_zone(web: FlaskClient) -> None:
    lon, lat = INSIDE
    body = web.get(f"/mein-ort.json?lat={lat}&lon={lon}").get_json()
    answers = {a["layer"]: a for a in body["extern"]}
    assert answers[FLOOD] == {
        "layer": FLOOD,
        "title": "Überschwemmungsgebiet Weser",
        "attribution": "NLWKN (Testdienst)",
        "text": ["liegt im festgesetzten Überschwemmungsgebiet der Weser"],
        "ok": True,
    }
    assert answers[SLOW]["ok"] is False and answers[SLOW]["text"] == [UNAVAILABLE]
    page = web.get(f"/mein-ort?lat={lat}&lon={lon}").get_data(as_text=True)
    assert "liegt im festgesetzten Überschwemmungsgebiet der Weser" in page
    assert "Auskünfte anderer Behörden" in page and UNAVAILABLE in page
    english = web.get(f"/mein-ort?lat={lat}&lon={lon}&lang=en").get_data(as_text=True)
    assert "Other authorities&#39; information" in english and "Service not reachable" in english
    assert body["ortsteil"] is not None  # the rest of the report is there


@pytest.mark.usefixtures("demo_layers")
def test_mein_ort_outside_the_flood_zone(web: FlaskClient) -> None:
    lon, lat = OUTSIDE
    body = web.get(f"/mein-ort.json?lat={lat}&lon={lon}").get_json()
    assert FLOOD not in [a["layer"] for a in body["extern"]], body["extern"]


@pytest.mark.usefixtures("demo_layers")
def test_response_size_limit(settings: Settings, tmp_path: Path, upstream: Upstream) -> None:
    app = extern_app(settings, tmp_path, upstream, extern_max_mb=0.0005)  # 524 bytes
    client = app.test_client()
    response = client.get(f"/extern/{FLOOD}/14/8617/5404.png")
    assert response.headers["X-Extern-Status"] == "nicht-erreichbar"
    body = client.get(f"/mein-ort.json?lat={INSIDE[1]}&lon={INSIDE[0]}").get_json()
    flood = [a for a in body["extern"] if a["layer"] == FLOOD]
    assert flood == [{**flood[0], "ok": False, "text": [UNAVAILABLE]}]


def test_cli_checks_the_definitions(settings: Settings, tmp_path: Path, upstream: Upstream) -> None:
    from click.testing import CliRunner

    from buergergis.cli import cli

    folder = write_layers(tmp_path / "layers", upstream)
    env = {"BUERGERGIS_LAYERS_DIR": str(folder), "BUERGERGIS_EXTERN_HOSTS": "127.0.0.2"}
    result = CliRunner().invoke(cli, ["extern"], env=env)
    assert result.exit_code == 1
    assert f"{FLOOD}: WMS {upstream.netloc} (legend, featureinfo) – ok" in result.output
    assert "FEHLER – ext-fremd.yaml: Feld 'extern.url'" in result.output
    (folder / f"{FOREIGN}.yaml").unlink()
    assert CliRunner().invoke(cli, ["extern"], env=env).exit_code == 0


def test_guard_refuses_a_redirect_to_another_host_and_large_answers() -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from buergergis.extern.guard import Policy, opener

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/weiter":
                self.send_response(302)
                self.send_header("Location", "http://127.0.0.3:9/geheim")
                self.end_headers()
                return
            body = b"x" * 5000
            self.send_response(200)
            if self.path == "/gross-ohne-laenge":
                self.send_header("Connection", "close")
                self.end_headers()
            else:
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.2", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.2:{server.server_address[1]}"
    try:
        small = opener(Policy(frozenset({"127.0.0.2"}), max_bytes=1000, timeout_s=2))
        large = opener(Policy(frozenset({"127.0.0.2"}), max_bytes=10000, timeout_s=2))
        with pytest.raises(urllib.error.URLError, match="nicht freigegeben: 127.0.0.3:9"):
            large.open(f"{base}/weiter", timeout=2)
        for path in ("/gross", "/gross-ohne-laenge"):
            with (
                pytest.raises(urllib.error.URLError, match="größer als 1000 Bytes"),
                small.open(f"{base}{path}", timeout=2) as response,
            ):
                response.read()
            with large.open(f"{base}{path}", timeout=2) as response:
                assert len(response.read()) == 5000
    finally:
        server.shutdown()
        server.server_close()


GEOSERVER_GML = b"""<?xml version="1.0" encoding="UTF-8"?>
<wfs:FeatureCollection xmlns:wfs="http://www.opengis.net/wfs" xmlns:gml="http://www.opengis.net/gml"
  xmlns:nlwkn="https://nlwkn.example"><gml:featureMember><nlwkn:usg fid="usg.1">
  <nlwkn:GEWAESSER>Hamel</nlwkn:GEWAESSER><nlwkn:geom><gml:Polygon/></nlwkn:geom>
</nlwkn:usg></gml:featureMember></wfs:FeatureCollection>"""


@pytest.mark.parametrize(
    ("fmt", "body", "expected"),
    [
        ("application/vnd.ogc.gml", GEOSERVER_GML, [{"GEWAESSER": "Hamel"}]),
        (
            "application/json",
            b'{"type":"FeatureCollection","features":[{"type":"Feature",'
            b'"properties":{"GEWAESSER":"Weser","n":1},"geometry":null}]}',
            [{"GEWAESSER": "Weser", "n": "1"}],
        ),  # fmt: skip
        (
            "text/plain",
            b"Layer 'usg'\n  Feature 1:\n    GEWAESSER = 'Emmer'\n",
            [{"GEWAESSER": "Emmer"}],
        ),
        ("application/json", b'{"type":"FeatureCollection","features":[]}', []),
    ],
)
def test_featureinfo_formats_become_readable_text(
    fmt: str, body: bytes, expected: list[dict[str, str]]
) -> None:
    from buergergis.extern.featureinfo import features, readable

    info = FeatureInfo(format=fmt, template="liegt im Überschwemmungsgebiet der {GEWAESSER}")
    found = features(info, body)
    assert found == expected
    lines = readable(info, found)
    names = [f["GEWAESSER"] for f in expected]
    assert lines == tuple(f"liegt im Überschwemmungsgebiet der {n}" for n in names)
    fallback = FeatureInfo(format=fmt, fields=("GEWAESSER",), empty="nichts gefunden")
    assert readable(fallback, found) == (
        tuple(f"GEWAESSER: {n}" for n in names) if names else ("nichts gefunden",)
    )


def test_a_catalog_layer_wins_over_an_external_layer_of_the_same_id() -> None:
    from dataclasses import replace

    from buergergis.maps.layers import external_map_layer, with_external

    mine = ExternalLayer(kind="external", id="ext-gleich", title="Extern", extern=WMS)
    other = ExternalLayer(kind="external", id="ext-anders", title="Anders", extern=WMS)
    city = replace(external_map_layer(mine), kind="vector", title="Eigene Ebene", tile_url=None)
    combined = with_external([city], (mine, other))
    assert [(la.id, la.title) for la in combined] == [
        ("ext-gleich", "Eigene Ebene"),
        ("ext-anders", "Anders"),
    ]
