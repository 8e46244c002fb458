"""The print of the city map, /druck.pdf (issue 16 §4): paper sizes, contents of the sheet, the
picture drawn from the map's own tiles, an unreachable basemap, and bad parameters → 400."""

from __future__ import annotations

import io
import math
import re
import socket
from collections.abc import Iterator
from typing import Any

import pypdfium2
import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import Engine, text

from buergergis import create_app
from buergergis.maps.layers import map_layer
from buergergis.maps.printing import nice_length, paint_of
from buergergis.services.filters import today
from buergergis.settings import Settings
from buergergis.store.catalog import get_layer
from buergergis.store.sql import layer_view
from buergergis.tiles.grid import TileAddress
from buergergis.tiles.picture import Frame, PrintLayer, draw
from buergergis.tiles.provider import TileSpec
from tests.maps_support import ARTIFACTS

CENTRE = (52.10370, 9.35630)
VIEW = f"center={CENTRE[0]:.5f},{CENTRE[1]:.5f}&zoom=14&layers=ortsteile,kitas,holzverkauf"
PT_PER_MM = 72 / 25.4


def _closed_port() -> int:
    """A local port nobody listens on: the basemap host is 'down'."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def print_app(settings: Settings, demo_layers: list[str]) -> Flask:
    """The app with a basemap that cannot be reached (as in any test without internet)."""
    return create_app(
        {
            "database_url": settings.database_url,
            "var_dir": settings.var,
            "secret_key": "test-secret",
            "basemap_url": f"http://127.0.0.1:{_closed_port()}/{{z}}/{{x}}/{{y}}.png",
            "basemap_attribution": "Unerreichbare Testkarte",
        }
    )


@pytest.fixture()
def pclient(print_app: Flask) -> Iterator[FlaskClient]:
    yield print_app.test_client()


def _titles(engine: Engine, ids: list[str]) -> dict[str, str]:
    with engine.connect() as conn:
        return {i: map_layer(get_layer(conn, i)).title for i in ids}


def _pdf(response: Any) -> PdfReader:
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(response.data))


@pytest.mark.parametrize(
    ("paper", "orientation", "size_mm"),
    [
        ("A4", "landscape", (297, 210)),
        ("A4", "portrait", (210, 297)),
        ("A3", "landscape", (420, 297)),
        ("A3", "portrait", (297, 420)),
    ],
)
def test_print_has_the_paper_size_and_one_page(
    pclient: FlaskClient, paper: str, orientation: str, size_mm: tuple[int, int]
) -> None:
    reader = _pdf(pclient.get(f"/druck.pdf?{VIEW}&format={paper}&orientation={orientation}"))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(size_mm[0] * PT_PER_MM, abs=1)
    assert float(box.height) == pytest.approx(size_mm[1] * PT_PER_MM, abs=1)


def test_sheet_has_legend_date_sources_scale_and_notes(
    pclient: FlaskClient, engine: Engine
) -> None:
    response = pclient.get(f"/druck.pdf?{VIEW}&format=A4&orientation=landscape")
    reader = _pdf(response)
    ARTIFACTS.mkdir(exist_ok=True)  # the first page as PNG, to look at
    pypdfium2.PdfDocument(response.data)[0].render(scale=1.5).to_pil().save(
        ARTIFACTS / "print-a4-landscape-page1.png"
    )
    words = " ".join(reader.pages[0].extract_text().split())
    for title in _titles(engine, ["ortsteile", "kitas", "holzverkauf"]).values():
        assert title in words  # legend entries
    assert "Legende" in words
    day = today()
    assert f"Stand: {day:%d.%m.%Y}" in words
    assert "Quellen:" in words and "Stadt Hameln (Beispieldaten)" in words  # attribution
    assert "Beispieldaten – keine amtliche Auskunft" in words
    # the basemap host is down: printed without it, said so, and not credited
    assert "Hintergrundkarte nicht erreichbar" in words
    assert "Unerreichbare Testkarte" not in words
    # scale ratio at the centre: Web Mercator metres per CSS pixel (96 dpi) → 1:n
    m_per_px = 2 * math.pi * 6378137 / 256 * math.cos(math.radians(CENTRE[0])) / 2**14
    expected = m_per_px / (0.0254 / 96)
    found = re.search(r"Maßstab ca\. 1:([\d.]+)", words)
    assert found, words
    assert int(found[1].replace(".", "")) == pytest.approx(expected, rel=0.05)
    assert re.search(r"\b\d+ (m|km) Maßstab", words)  # the scale bar's label


def test_english_sheet(pclient: FlaskClient) -> None:
    reader = _pdf(pclient.get(f"/druck.pdf?{VIEW}&lang=en&title=Firewood%20lots"))
    words = " ".join(reader.pages[0].extract_text().split())
    assert "Firewood lots" in words and "Legend" in words
    assert f"Date: {today().isoformat()}" in words
    assert re.search(r"Scale approx\. 1:\d{1,3}(,\d{3})*", words)


def test_picture_has_every_kita_of_the_frame_once(
    print_app: Flask, engine: Engine, demo_layers: list[str]
) -> None:
    """The picture is drawn from the map's vector tiles: each Kita inside the frame is one dot
    at its place (compared with PostGIS)."""
    frame = Frame(CENTRE[0], CENTRE[1], 14, 800, 600)
    with engine.connect() as conn:
        record = get_layer(conn, "kitas")
        rows = conn.execute(
            text(f"SELECT ST_X(g) AS x, ST_Y(g) AS y FROM (SELECT ST_Transform(geom, 4326) AS g FROM {layer_view('kitas')}) s")  # noqa: S608
        ).all()  # fmt: skip
    provider = print_app.extensions["buergergis.tiles"]
    picture = draw(provider, frame, [PrintLayer(record, paint_of(map_layer(record)))])
    dots = {
        (round(float(cx)), round(float(cy)))
        for cx, cy in re.findall(r'<circle cx="([-\d.]+)" cy="([-\d.]+)"', "".join(picture.shapes))
    }
    inside = {(x, y) for x, y in dots if 0 <= x <= frame.width and 0 <= y <= frame.height}
    cx, cy = frame.world()
    size = 256 * 2**14
    expected = set()
    for row in rows:
        wx = (row.x + 180) / 360 * size
        s = math.sin(math.radians(row.y))
        wy = (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * size
        px, py = wx - cx + frame.width / 2, wy - cy + frame.height / 2
        if 2 <= px <= frame.width - 2 and 2 <= py <= frame.height - 2:
            expected.add((px, py))
    assert expected, "the frame should hold some Kitas"
    assert picture.drawn == ["kitas"] and picture.png is None
    for px, py in expected:  # each Kita drawn where it is (tile precision: ~1 px)
        assert any(abs(px - x) <= 1.5 and abs(py - y) <= 1.5 for x, y in inside), (px, py)
    assert len(inside) == pytest.approx(len(expected), abs=2)  # edge dots may be cut


def _dots(picture_shapes: list[str], frame: Frame) -> set[tuple[int, int]]:
    found = re.findall(r'<circle cx="([-\d.]+)" cy="([-\d.]+)"', "".join(picture_shapes))
    dots = {(round(float(x)), round(float(y))) for x, y in found}
    return {(x, y) for x, y in dots if 0 <= x <= frame.width and 0 <= y <= frame.height}


def test_print_hides_past_entries_as_the_map_does(
    print_app: Flask, engine: Engine, demo_layers: list[str]
) -> None:
    """Ferienaktionen that ended before today are left out (the map's "nothing past" rule),
    unless ``alle=1``; the counts are compared with PostGIS."""
    frame = Frame(CENTRE[0], CENTRE[1], 11, 1200, 1200)  # the whole city
    day = today()
    with engine.connect() as conn:
        record = get_layer(conn, "ferienaktionen")
        total, current = conn.execute(
            text(f"SELECT count(DISTINCT geom), count(DISTINCT geom) FILTER (WHERE ende IS NULL OR ende >= :d) FROM {layer_view('ferienaktionen')}"),  # noqa: S608
            {"d": day},
        ).one()  # fmt: skip
    provider = print_app.extensions["buergergis.tiles"]
    layer = map_layer(record)
    everything = draw(provider, frame, [PrintLayer(record, paint_of(layer))])
    shown = draw(provider, frame, [PrintLayer(record, paint_of(layer, ("ende", day)))])
    assert 0 < current < total, "the demo data should have past and current Ferienaktionen"
    assert len(_dots(everything.shapes, frame)) == pytest.approx(total, abs=1)
    assert len(_dots(shown.shapes, frame)) == pytest.approx(current, abs=1)


@pytest.mark.parametrize(
    ("query", "word"),
    [
        ("format=A5", "format"),
        ("orientation=diagonal", "orientation"),
        ("zoom=99", "zoom"),
        ("center=abc", "center"),
        ("layers=B%C3%96SE!", "layers"),
        ("lang=fr", "lang"),
        ("title=" + "x" * 81, "title"),
    ],
)
def test_bad_parameters_are_400_in_german(pclient: FlaskClient, query: str, word: str) -> None:
    response = pclient.get(f"/druck.pdf?{query}")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert f"Parameter '{word}'" in body
    assert "erlaubt" in body or "erwartet" in body or "höchstens" in body or "gültig" in body


def test_unknown_layers_and_no_layers_still_print(pclient: FlaskClient) -> None:
    reader = _pdf(pclient.get("/druck.pdf?layers=gibt-es-nicht"))
    assert "Keine Ebene eingeschaltet." in reader.pages[0].extract_text()


def test_scale_bar_lengths_are_round() -> None:
    assert nice_length(140) == (100.0, "100 m")
    assert nice_length(999) == (500.0, "500 m")
    assert nice_length(1000) == (1000.0, "1 km")
    assert nice_length(4999) == (2000.0, "2 km")
    assert nice_length(0.4) == (1.0, "1 m")


def _png(color: tuple[int, int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (256, 256), color).save(out, "PNG")
    return out.getvalue()


def test_basemap_is_drawn_when_reachable_and_left_out_when_not(print_app: Flask) -> None:
    provider = print_app.extensions["buergergis.tiles"]
    frame = Frame(CENTRE[0], CENTRE[1], 14, 400, 300)
    asked: list[str] = []

    def red(url: str) -> bytes:
        asked.append(url)
        return _png((200, 0, 0, 255))

    template = "http://basemap.invalid/{z}/{x}/{y}.png"
    picture = draw(provider, frame, [], basemap_url=template, fetch=red)
    assert picture.basemap_drawn and not picture.basemap_failed
    assert len(asked) == len(frame.tiles(14)) and asked[0].startswith("http://basemap.invalid/14/")
    image = Image.open(io.BytesIO(picture.png or b""))
    assert image.size == (400, 300)
    assert image.getpixel((200, 150))[:3] == (200, 0, 0)

    def down(url: str) -> bytes:
        raise ConnectionError("unreachable")

    picture = draw(provider, frame, [], basemap_url=template, fetch=down)
    assert picture.basemap_failed and not picture.basemap_drawn and picture.png is None


def test_raster_layer_is_drawn_from_its_tiles(print_app: Flask, engine: Engine) -> None:
    """The picture's pixel at the centre is the pixel of the layer's own PNG tile there."""
    with engine.connect() as conn:
        record = get_layer(conn, "gelaende-farbe")
    assert record is not None and record.kind == "raster"
    layer = map_layer(record)
    frame = Frame(CENTRE[0], CENTRE[1], 13, 300, 200)
    picture = draw(
        print_app.extensions["buergergis.tiles"], frame, [PrintLayer(record, paint_of(layer))]
    )
    assert picture.drawn == ["gelaende-farbe"] and picture.png
    image = Image.open(io.BytesIO(picture.png)).convert("RGBA")
    wx, wy = frame.world()
    tile = print_app.extensions["buergergis.tiles"].get(
        [record],
        TileSpec(("gelaende-farbe",), TileAddress(13, int(wx // 256), int(wy // 256)), "png"),
    )
    source = (
        Image.open(io.BytesIO(tile.data)).convert("RGBA").getpixel((int(wx % 256), int(wy % 256)))
    )
    seen = image.getpixel((150, 100))
    assert source[3] > 0  # the terrain covers Hameln's centre
    alpha = layer.opacity
    for channel in range(3):  # the layer's opacity over a transparent canvas keeps the colour
        assert abs(seen[channel] - source[channel]) <= 8, (seen, source)  # ±1 px of a ramp
    assert abs(seen[3] - round(source[3] * alpha)) <= 2
