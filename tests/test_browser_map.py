"""The city map in Debian's Chromium: layers, popups, search, permalink, privacy, phone layout."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine, text

from buergergis.settings import Settings
from tests.maps_support import (
    PROBE_ID,
    PROBE_ROWS,
    XSS_NAME,
    PageLog,
    load_probe_layer,
    screenshot,
    wait_for,
    wait_ready,
)

pytestmark = pytest.mark.browser
ROWS = {r[0]: r for r in PROBE_ROWS}


@pytest.fixture(scope="module")
def data(engine: Engine, settings: Settings, demo_layers: list[str]) -> list[str]:
    """Demo layers and the probe layer are loaded."""
    load_probe_layer(engine, settings)
    return [*demo_layers, PROBE_ID]


@pytest.fixture(scope="module")
def context(chromium: Any, map_server: str, data: list[str]) -> Iterator[Any]:
    ctx = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="de-DE")
    yield ctx
    ctx.close()


@pytest.fixture(scope="module")
def page(context: Any, map_server: str) -> Iterator[Any]:
    """One page for the module; ``page.log`` records requests and console errors."""
    p = context.new_page()
    p.log = PageLog(p)
    p.goto(map_server + "/")
    wait_ready(p)
    yield p
    p.close()


def js(page: Any, expression: str) -> Any:
    return page.evaluate(expression)


def open_view(page: Any, url: str) -> None:
    page.goto(url)
    wait_ready(page)


def test_map_loads_with_its_layers(page: Any) -> None:
    visible = js(page, "BGIS.visibleIds()")
    assert {"kitas", "buergeramt", "ortsteile", "stadtgebiet", "holzverkauf"} <= set(visible)
    assert "flurstuecke" not in visible and "gelaende" not in visible
    assert js(page, "BGIS.errors") == []
    assert js(page, "BGIS.layers.kitas.count") == 30
    assert (
        js(page, "BGIS.layers.buergeramt.count")
        == page.locator('.bgis-marker[aria-label$="(Bürgerbüros und Servicestellen)"]').count()
    )
    assert page.locator(".leaflet-control-scale").is_visible()
    assert (
        page.locator(".leaflet-control-attribution")
        .inner_text()
        .count("Stadt Hameln (Beispieldaten)")
        >= 1
    )
    screenshot(page, "map-start")


def test_switching_a_layer_off_and_on(page: Any) -> None:
    markers = page.locator('.bgis-marker[aria-label$="(Bürgerbüros und Servicestellen)"]')
    before = markers.count()
    assert before > 0
    page.get_by_role("checkbox", name="Bürgerbüros und Servicestellen", exact=True).uncheck()
    assert markers.count() == 0
    assert "buergeramt" not in parse_qs(urlsplit(page.url).query)["layers"][0].split(",")
    page.get_by_role("checkbox", name="Bürgerbüros und Servicestellen", exact=True).check()
    assert markers.count() == before
    assert "buergeramt" in parse_qs(urlsplit(page.url).query)["layers"][0].split(",")


def test_popup_shows_umlauts_and_never_runs_attribute_html(page: Any, map_server: str) -> None:
    _, _, desc, street, _, lon, lat = ROWS["p2"]
    open_view(page, f"{map_server}/?layers={PROBE_ID}&center={lat},{lon}&zoom=18")
    marker = page.locator(f'.bgis-marker[aria-label^="{XSS_NAME}"]')
    marker.click()
    popup = page.locator(".leaflet-popup-content .bgis-popup")
    popup.wait_for()
    text = popup.inner_text()
    assert XSS_NAME in text and desc in text and street in text and "Straße" in text
    assert popup.locator("script, img").count() == 0
    assert js(page, "window.__xss === undefined")
    assert (
        popup.get_by_role("link", name="Als Tabelle").get_attribute("href")
        == f"/liste/{PROBE_ID}?fid=p2#f-p2"
    )
    screenshot(page, "map-popup")


def test_markers_and_controls_work_by_keyboard(page: Any, map_server: str) -> None:
    _, name, _, street, _, lon, lat = ROWS["p1"]
    open_view(page, f"{map_server}/?layers={PROBE_ID}&center={lat},{lon}&zoom=17")
    marker = page.locator(f'.bgis-marker[aria-label^="{name}"]')
    assert marker.get_attribute("role") == "button" and marker.get_attribute("tabindex") == "0"
    marker.focus()
    page.keyboard.press("Enter")
    page.locator(".bgis-popup").wait_for()
    assert js(page, "document.activeElement.classList.contains('bgis-popup')")
    assert street in page.locator(".bgis-popup").inner_text()
    page.keyboard.press("Escape")
    page.locator(".bgis-popup").wait_for(state="detached")
    zoom_in = page.get_by_role("button", name="Vergrößern")
    zoom_in.focus()
    before = js(page, "BGIS.map.getZoom()")
    page.keyboard.press("Enter")
    wait_for(page, f"BGIS.map.getZoom() === {before + 1}")
    for name in ("Verkleinern", "Vollbild", "Mein Standort"):
        assert page.get_by_role("button", name=name).count() == 1


def test_search_result_moves_the_map(page: Any, map_server: str) -> None:
    open_view(page, f"{map_server}/?layers=kitas&center=52.1,9.36&zoom=12")
    page.get_by_label("Adresse, Name oder Einrichtung").fill("creme brulee")
    page.get_by_role("button", name="Suchen", exact=True).click()
    result = page.locator("#search-results .result").first
    result.wait_for()
    assert "Crème Brûlée Bistro" in result.inner_text()
    result.click()
    page.locator(".bgis-popup").wait_for()
    _, name, _, _, _, lon, lat = ROWS["p3"]
    centre = js(page, "BGIS.map.getCenter()")
    assert centre["lat"] == pytest.approx(lat, abs=2e-4) and centre["lng"] == pytest.approx(
        lon, abs=2e-4
    )
    assert js(page, "BGIS.map.getZoom()") >= 17
    assert name in page.locator(".bgis-popup").inner_text()
    assert PROBE_ID in js(page, "BGIS.visibleIds()")  # the layer was switched on
    screenshot(page, "map-search")


def test_permalink_round_trips(page: Any, context: Any, map_server: str) -> None:
    open_view(page, f"{map_server}/?layers=kitas,ortsteile")
    js(page, "BGIS.map.setView([52.11234, 9.37654], 15, {animate: false})")
    page.get_by_role("checkbox", name="Gelände (Schummerung)", exact=True).check()
    page.get_by_role("checkbox", name="Kindertagesstätten", exact=True).uncheck()
    wait_for(page, "new URLSearchParams(location.search).get('zoom') === '15'")
    url = page.url
    params = parse_qs(urlsplit(url).query)
    assert params["center"] == ["52.11234,9.37654"]
    assert set(params["layers"][0].split(",")) == {"ortsteile", "gelaende"}
    other = context.new_page()
    try:
        open_view(other, url)
        centre = js(other, "BGIS.map.getCenter()")
        assert centre["lat"] == pytest.approx(52.11234, abs=3e-5)  # a screen pixel is ~5 m here
        assert centre["lng"] == pytest.approx(9.37654, abs=3e-5)
        assert js(other, "BGIS.map.getZoom()") == 15
        assert set(js(other, "BGIS.visibleIds()")) == {"ortsteile", "gelaende"}
        assert other.get_by_role("checkbox", name="Gelände (Schummerung)", exact=True).is_checked()
        assert not other.get_by_role("checkbox", name="Kindertagesstätten", exact=True).is_checked()
    finally:
        other.close()


def test_raster_and_vector_tiles_are_requested_from_the_service(page: Any, map_server: str) -> None:
    before = len(page.log.urls)
    open_view(page, f"{map_server}/?layers=gelaende,flurstuecke&center=52.1037,9.3563&zoom=15")
    wait_for(page, "BGIS.layers.flurstuecke.gl !== undefined")
    urls = page.log.urls[before:]
    assert any("/tiles/gelaende/15/" in u and u.endswith(".png") for u in urls)
    # maplibre draws with the layer's published style (sources and colours, issue 10)
    assert any(u.endswith("/ogc/collections/flurstuecke/styles/default?f=mapbox") for u in urls)
    mvt = re.compile(r"/tiles/v/flurstuecke@\d+/\d+/\d+/\d+\.mvt$")  # versioned (nginx)
    for _ in range(200):  # maplibre fetches tiles in a worker; Playwright reports them too
        if any(mvt.search(u) for u in page.log.urls[before:]):
            break
        page.wait_for_timeout(100)
    assert any(mvt.search(u) for u in page.log.urls[before:])
    screenshot(page, "map-tiles")


def test_vector_tile_features_have_popups(page: Any, map_server: str, engine: Engine) -> None:
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT flurstueck, ST_X(p) AS lon, ST_Y(p) AS lat FROM (SELECT flurstueck,"
                " ST_Transform(ST_PointOnSurface(geom), 4326) AS p FROM layers.flurstuecke"
                " ORDER BY flaeche_m2 DESC LIMIT 1) s"
            )
        ).one()
    open_view(page, f"{map_server}/?layers=flurstuecke&center={row.lat},{row.lon}&zoom=18")
    wait_for(page, "BGIS.layers.flurstuecke.gl.getMaplibreMap().areTilesLoaded()")
    box = page.locator(".bgis-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    popup = page.locator(".bgis-popup")
    popup.wait_for()
    assert "Beispiel-Flurstücke" in popup.inner_text() and row.flurstueck in popup.inner_text()


def test_english_switch_keeps_the_view(page: Any, map_server: str) -> None:
    open_view(page, f"{map_server}/?layers=kitas&center=52.1,9.36&zoom=13")
    page.get_by_role("link", name="Switch to English").click()
    wait_ready(page)
    assert js(page, "document.documentElement.lang") == "en"
    assert page.get_by_role("button", name="Zoom in").count() == 1
    params = parse_qs(urlsplit(page.url).query)
    assert params["lang"] == ["en"] and params["zoom"] == ["13"] and params["layers"] == ["kitas"]


def test_nearest_uses_the_browser_location(
    chromium: Any, map_server: str, data: list[str], engine: Engine
) -> None:
    # "In der Nähe" offers service layers only (issue 10): the Kitas, not the probe layer
    with engine.connect() as conn:
        name, lon, lat = conn.execute(
            text(
                "SELECT name, ST_X(p), ST_Y(p) FROM (SELECT name, ST_Transform(geom, 4326) AS p"
                " FROM layers.kitas ORDER BY fid LIMIT 1) s"
            )
        ).one()
    ctx = chromium.new_context(
        geolocation={"latitude": lat + 0.0005, "longitude": lon}, permissions=["geolocation"]
    )
    try:
        page = ctx.new_page()
        open_view(page, f"{map_server}/?layers=kitas")
        nearest = page.get_by_label("Nächstgelegene Einrichtung aus")
        assert PROBE_ID not in nearest.locator("option").evaluate_all("os => os.map(o => o.value)")
        nearest.select_option("kitas")
        page.get_by_role("button", name="Nächstgelegene anzeigen").click()
        first = page.locator("#nearest-results .result").first
        first.wait_for()
        assert "Entfernung von Ihrem Standort" in page.locator("#nearest-results").inner_text()
        assert name in first.inner_text() and "56 m entfernt" in first.inner_text()
    finally:
        ctx.close()


def test_phone_layout(chromium: Any, map_server: str, data: list[str]) -> None:
    ctx = chromium.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    try:
        page = ctx.new_page()
        open_view(page, f"{map_server}/")
        toggle = page.get_by_role("button", name="Ebenen und Suche")
        assert (
            toggle.get_attribute("aria-expanded") == "false"
            and not page.locator("#panel").is_visible()
        )
        box = page.locator(".bgis-map").bounding_box()
        assert box["width"] == pytest.approx(390, abs=1) and box["height"] > 600
        assert js(page, "document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(page, "phone-map")
        toggle.click()
        assert (
            toggle.get_attribute("aria-expanded") == "true" and page.locator("#panel").is_visible()
        )
        assert page.get_by_role("checkbox", name="Kindertagesstätten", exact=True).is_visible()
        screenshot(page, "phone-panel")
    finally:
        ctx.close()


def test_no_request_leaves_the_service_except_for_the_basemap(
    page: Any, map_server: str, other_origin: str, tile_hits: list[str]
) -> None:
    open_view(page, f"{map_server}/")
    assert page.log.origins() <= {map_server, other_origin}
    assert tile_hits, "the configured basemap is used"
    assert page.log.errors == []
    assert page.context.cookies() == []
