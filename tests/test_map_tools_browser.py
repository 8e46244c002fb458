"""Measuring and printing on the city map in Chromium (issue 16 §4).

Measuring by mouse, by touch and by keyboard only; the announced distance or area is compared
with the geodesic of the drawn points computed here by pyproj (PROJ's geod, WGS84). The print
button's dialog opens /druck.pdf with the map's view: a real PDF of the chosen paper with the
basemap drawn from the (local) basemap host. Screenshots and the PDF's first page as PNG go to
test-artifacts/.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pypdfium2
import pytest
from pypdf import PdfReader
from pyproj import Geod

from tests.maps_support import (
    ARTIFACTS,
    axe_violations,
    screenshot,
    wait_for,
    wait_ready,
)

pytestmark = pytest.mark.browser

VIEW = "/?layers=kitas,ortsteile&zoom=15&center=52.10370,9.35630"
GEOD = Geod(ellps="WGS84")
NUMBER = {"de": (".", ","), "en": (",", ".")}  # thousands, decimal


@pytest.fixture(autouse=True)
def _layers(demo_layers: list[str]) -> None:
    """The demo layers (Kitas, Ortsteile) are loaded in this session's database."""


def announced(page: Any) -> str:
    return str(page.locator("#bgis-measure-status").inner_text())


def metres(text: str, label: str, lang: str = "de") -> float:
    """``Strecke: 1,24 km`` → 1240.0; ``Fläche: 3,5 ha`` → 35000.0 (m²)."""
    found = re.search(label + r": ([\d.,]+) (km²|m²|ha|km|m)\b", text)
    assert found, text
    thousands, decimal = NUMBER[lang]
    value = float(found[1].replace(thousands, "").replace(decimal, "."))
    return value * {"m": 1, "km": 1000, "m²": 1, "ha": 10_000, "km²": 1_000_000}[found[2]]


def tolerance(text: str, label: str) -> float:
    """Half a unit of the last shown digit (the display rounds)."""
    found = re.search(label + r": [\d.,]+?[.,]?(\d*) (km²|m²|ha|km|m)\b", text)
    assert found
    digits = len(found[1]) if re.search(label + r": \d+[.,]\d", text) else 0
    unit = {"m": 1, "km": 1000, "m²": 1, "ha": 10_000, "km²": 1_000_000}[found[2]]
    return 0.5 * unit / 10**digits + 0.01


def last_points(page: Any) -> list[tuple[float, float]]:
    points = page.evaluate("BGIS.measureControl.last && BGIS.measureControl.last.latlngs")
    assert points, "no finished measurement"
    return [(float(lat), float(lon)) for lat, lon in points]


def geod_length(points: list[tuple[float, float]]) -> float:
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    return float(GEOD.line_length(lons, lats))


def settle(page: Any) -> None:
    """Wait until the map has stopped moving (keyboard pans animate)."""
    page.wait_for_timeout(50)
    wait_for(page, "!BGIS.map._panAnim || !BGIS.map._panAnim._inProgress")


def open_map(context: Any, base: str, path: str = VIEW) -> Any:
    page = context.new_page()
    page.goto(base + path)
    wait_ready(page)
    return page


def test_measure_distance_with_the_keyboard_only(map_server: str, desktop: Any) -> None:
    page = open_map(desktop, map_server)
    # Tab reaches the tool: the button is a real button in the map controls
    button = page.locator(".bgis-measure-line")
    assert button.evaluate("b => b.tagName") == "BUTTON"
    assert page.evaluate("typeof L.PM") == "undefined"  # geoman comes with the first use
    page.locator(".bgis-place-button").focus()  # "Was gilt hier?"; the next Tab stop is ours
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('bgis-measure-line')")
    page.keyboard.press("Enter")
    wait_for(page, "document.querySelector('.bgis-measure-line').ariaPressed === 'true'")
    assert page.evaluate("document.activeElement === BGIS.map.getContainer()")
    assert "ersten Punkt" in announced(page)
    assert page.locator(".bgis-crosshair").is_visible()
    start = page.evaluate("[BGIS.map.getCenter().lat, BGIS.map.getCenter().lng]")
    page.keyboard.press("Enter")  # point 1 at the crosshair
    wait_for(page, "document.querySelector('#bgis-measure-status').textContent.includes('Punkt 1')")
    for key in ["ArrowRight"] * 6 + ["ArrowDown"] * 3:
        page.keyboard.press(key)
        settle(page)
    end = page.evaluate("[BGIS.map.getCenter().lat, BGIS.map.getCenter().lng]")
    assert end != start  # the map moved under the crosshair
    page.keyboard.press("Enter")  # point 2
    wait_for(
        page, "document.querySelector('#bgis-measure-status').textContent.includes('Strecke:')"
    )
    screenshot(page, "measure-desktop-keyboard")
    page.keyboard.press("Escape")
    wait_for(page, "BGIS.measureControl.last !== null")
    text = announced(page)
    assert text.startswith("Strecke: ")
    points = last_points(page)
    assert len(points) == 2
    assert points[0] == pytest.approx(tuple(start), abs=1e-9)
    assert points[1] == pytest.approx(tuple(end), abs=1e-9)
    expected = geod_length(points)
    assert metres(text, "Strecke") == pytest.approx(expected, abs=tolerance(text, "Strecke"))
    assert button.get_attribute("aria-pressed") == "false"
    assert not page.locator(".bgis-crosshair").is_visible()


def test_measure_distance_and_area_with_the_mouse(map_server: str, desktop: Any) -> None:
    page = open_map(desktop, map_server)
    box = page.locator(".bgis-map").bounding_box()
    ox, oy = box["x"], box["y"]
    page.locator(".bgis-measure-line").click()
    wait_for(page, "document.querySelector('.bgis-measure-line').ariaPressed === 'true'")
    for x, y in ((300, 350), (650, 550), (650, 550)):  # clicking the last point again ends
        page.mouse.click(ox + x, oy + y)
        page.wait_for_timeout(150)
    wait_for(page, "BGIS.measureControl.last !== null")
    text = announced(page)
    points = last_points(page)
    assert len(points) == 2
    assert metres(text, "Strecke") == pytest.approx(
        geod_length(points), abs=tolerance(text, "Strecke")
    )

    page.locator(".bgis-measure-area").click()
    wait_for(page, "document.querySelector('.bgis-measure-area').ariaPressed === 'true'")
    corners = ((250, 300), (650, 300), (650, 600), (250, 600))  # left of the tools
    for x, y in (*corners, corners[0]):  # clicking the first point closes the polygon
        page.mouse.click(ox + x, oy + y)
        page.wait_for_timeout(150)
    wait_for(
        page, "BGIS.measureControl.last !== null && BGIS.measureControl.last.shape === 'Polygon'"
    )
    text = announced(page)
    screenshot(page, "measure-desktop-area")
    points = last_points(page)
    assert len(points) == 4
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    area, perimeter = GEOD.polygon_area_perimeter(lons, lats)
    assert text.startswith("Fläche: ")
    assert metres(text, "Fläche") == pytest.approx(abs(area), abs=tolerance(text, "Fläche"))
    assert metres(text, "Umfang") == pytest.approx(perimeter, abs=tolerance(text, "Umfang"))


def test_measure_on_a_phone_by_touch_in_english(map_server: str, phone: Any) -> None:
    page = open_map(phone, map_server, VIEW + "&lang=en")
    page.locator(".bgis-measure-line").tap()
    wait_for(page, "document.querySelector('.bgis-measure-line').ariaPressed === 'true'")
    box = page.locator(".bgis-map").bounding_box()
    for x, y in ((230, 430), (320, 640)):  # below the controls
        page.touchscreen.tap(box["x"] + x, box["y"] + y)
        page.wait_for_timeout(700)  # two quick taps would be a double tap (zoom)
    screenshot(page, "measure-phone-touch")
    wait_for(
        page, "document.querySelector('#bgis-measure-status').textContent.includes('Distance:')"
    )
    page.locator(".bgis-measure-line").tap()  # the pressed button ends measuring
    wait_for(page, "BGIS.measureControl.last !== null")
    text = announced(page)
    assert text.startswith("Distance: ")
    points = last_points(page)
    assert metres(text, "Distance", "en") == pytest.approx(
        geod_length(points), abs=tolerance(text, "Distance")
    )
    assert axe_violations(page) == []


def test_print_dialog_opens_the_pdf_of_the_view(
    map_server: str, desktop: Any, tile_hits: list[str]
) -> None:
    page = open_map(desktop, map_server)
    csp = page.evaluate("fetch('/').then(r => r.headers.get('content-security-policy'))")
    assert "script-src 'self' 'sha256-" in csp and "connect-src 'self';" in csp
    button = page.locator(".bgis-print-button")
    button.focus()
    page.keyboard.press("Enter")
    page.locator("#print-dialog[open]").wait_for()
    page.locator("label[for=print-format-A3]").click()
    page.locator("label[for=print-orientation-portrait]").click()
    page.locator("#print-heading").fill("Kitas in Hameln")
    screenshot(page, "print-dialog-desktop")
    assert axe_violations(page) == []
    href = page.locator("#print-link").get_attribute("href")
    assert href.startswith("/druck.pdf?center=52.10")
    for part in ("zoom=15", "layers=", "format=A3", "orientation=portrait", "title=Kitas"):
        assert part in href
    before = len(tile_hits)
    with page.expect_popup() as popup_info:
        page.locator("#print-link").click()
    popup_info.value.close()
    response = page.request.get(map_server + href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    data = response.body()
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(297 * 72 / 25.4, abs=1)  # A3 portrait
    assert float(box.height) == pytest.approx(420 * 72 / 25.4, abs=1)
    words = " ".join(reader.pages[0].extract_text().split())
    assert "Kitas in Hameln" in words and "Legende" in words
    assert "Testkarte" in words  # the basemap was reachable: drawn and credited
    assert "nicht erreichbar" not in words
    assert len(tile_hits) > before  # the server fetched the basemap, not the browser
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "print-a3-portrait.pdf").write_bytes(data)
    pdf = pypdfium2.PdfDocument(data)
    pdf[0].render(scale=1.2).to_pil().save(ARTIFACTS / "print-a3-portrait-page1.png")
    page.keyboard.press("Escape")
    wait_for(page, "!document.querySelector('#print-dialog').open")
    assert page.evaluate("document.activeElement.classList.contains('bgis-print-button')")


def test_print_dialog_on_a_phone(map_server: str, phone: Any) -> None:
    page = open_map(phone, map_server)
    page.locator(".bgis-print-button").tap()
    page.locator("#print-dialog[open]").wait_for()
    screenshot(page, "print-dialog-phone")
    assert axe_violations(page) == []
    href = page.locator("#print-link").get_attribute("href")
    assert "format=A4" in href and "orientation=landscape" in href
