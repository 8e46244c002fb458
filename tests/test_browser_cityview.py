"""Issue 10 in Debian's Chromium: the city view stays Hameln, what matters is visible without
clicking (status colours, legend, "nur freie Lose", nächstes freies Los), a fixed draw order
and German numbers in popups. Screenshots (desktop 1366×800, phone 390×844 touch) go to
``test-artifacts/``."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from buergergis.catalog.models import Attribute, Source, Style, VectorLayer
from buergergis.catalog.parse import load_definition_file
from buergergis.ingest.pipeline import load_layer
from buergergis.services.formatting import number
from buergergis.settings import Settings
from tests.maps_support import DESKTOP, PHONE, PageLog, screenshot, wait_for, wait_ready

pytestmark = pytest.mark.browser

FAR_ID = "tokio-test"
TILED_ID = "lose-kacheln"
HOME = (9.26, 52.04, 9.48, 52.17)
STATUS_COLOURS = {"frei": "#1a9850", "reserviert": "#e08214", "verkauft": "#8c8c8c"}


def far_definition(folder: Path, public: bool = True) -> VectorLayer:
    """A public point layer around Tokyo whose title is its raw id (a careless import)."""
    path = folder / "tokio.geojson"
    features = [
        {
            "type": "Feature",
            "properties": {"nr": f"t{i}", "name": f"Tokio-Punkt {i}"},
            "geometry": {"type": "Point", "coordinates": [139.70 + i / 100, 35.68]},
        }
        for i in range(3)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return VectorLayer(
        id=FAR_ID,
        title=FAR_ID,
        public=public,
        source=Source(path=str(path), format="geojson"),
        id_column="nr",
        attributes=(Attribute(name="nr"), Attribute(name="name")),
        style=Style(label="name"),
    )


@pytest.fixture(scope="module")
def data(
    engine: Engine, settings: Settings, demo_settings: Settings, demo_layers: list[str]
) -> Iterator[list[str]]:
    """Demo layers, a public layer near Tokyo and the Holzlose once more as vector tiles.
    Afterwards both extra layers are made private again (the session database is shared)."""
    folder = Path(tempfile.mkdtemp(prefix="cityview-"))
    far = far_definition(folder)
    holz = load_definition_file(demo_settings.layers_path / "holzverkauf.yaml", demo_settings.root)
    assert isinstance(holz, VectorLayer)
    tiled = holz.model_copy(
        update={
            "id": TILED_ID,
            "title": "Brennholzlose (Kacheln)",
            "style": holz.style.model_copy(update={"tiles": True}),
        }
    )
    load_layer(engine, settings, far)
    load_layer(engine, demo_settings, tiled)
    yield [*demo_layers, FAR_ID, TILED_ID]
    load_layer(engine, settings, far.model_copy(update={"public": False}))
    load_layer(engine, demo_settings, tiled.model_copy(update={"public": False}))


@pytest.fixture(scope="module")
def desktop(chromium: Any, map_server: str, data: list[str]) -> Iterator[Any]:
    ctx = chromium.new_context(**DESKTOP)
    page = ctx.new_page()
    page.log = PageLog(page)
    yield page
    ctx.close()


@pytest.fixture(scope="module")
def phone(chromium: Any, map_server: str, data: list[str]) -> Iterator[Any]:
    ctx = chromium.new_context(**PHONE)
    page = ctx.new_page()
    page.log = PageLog(page)
    yield page
    ctx.close()


def open_map(page: Any, url: str) -> None:
    page.goto(url)
    wait_ready(page)


def centre(page_or_frame: Any) -> tuple[float, float]:
    c = page_or_frame.evaluate(
        "(() => { const c = BGIS.map.getCenter(); return [c.lng, c.lat]; })()"
    )
    return (c[0], c[1])


def in_city(point: tuple[float, float]) -> bool:
    return HOME[0] <= point[0] <= HOME[2] and HOME[1] <= point[1] <= HOME[3]


def no_sideways_scroll(page: Any) -> bool:
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


# ---- 1. the city view belongs to the city --------------------------------------------------


def test_city_map_embed_and_builder_open_on_hameln_despite_a_far_public_layer(
    desktop: Any, map_server: str
) -> None:
    open_map(desktop, map_server + "/")
    assert FAR_ID in desktop.evaluate("BGIS.order")  # the far layer is public and on the page
    assert in_city(centre(desktop)), centre(desktop)
    zoom = desktop.evaluate("BGIS.map.getZoom()")
    assert zoom >= 11, zoom  # the city, not the world
    screenshot(desktop, "cityview-home-desktop")

    open_map(desktop, map_server + "/embed")
    assert in_city(centre(desktop))
    open_map(desktop, map_server + f"/embed?layers={FAR_ID},kitas")
    assert in_city(centre(desktop))

    desktop.goto(map_server + "/embed/builder")
    frame = desktop.frame_locator("#preview")
    frame.locator("html[data-map-ready='true']").wait_for(state="attached", timeout=20000)
    preview = next(f for f in desktop.frames if f.url.startswith(map_server + "/embed?") or f.url == map_server + "/embed")  # fmt: skip
    assert in_city(centre(preview)), centre(preview)
    screenshot(desktop, "cityview-builder-desktop")


def test_the_far_layer_is_still_reachable_by_its_own_link(desktop: Any, map_server: str) -> None:
    desktop.goto(map_server + f"/liste/{FAR_ID}")
    link = desktop.locator("table a", has_text="Auf der Karte zeigen").first
    href = link.get_attribute("href")
    assert href and "center=35.68" in href
    link.click()
    wait_ready(desktop)
    lon, lat = centre(desktop)
    assert 139 < lon < 141 and 35 < lat < 36
    popup = desktop.locator(".leaflet-popup .bgis-popup-title")
    popup.wait_for(timeout=10000)
    assert popup.inner_text().startswith("Tokio-Punkt")


def test_nearby_offers_service_layers_with_titles_and_never_the_far_layer(
    desktop: Any, map_server: str
) -> None:
    open_map(desktop, map_server + "/")
    options = desktop.eval_on_selector_all(
        "#nearest-layer option", "os => os.map(o => [o.value, o.textContent.trim(), o.selected])"
    )
    values = [o[0] for o in options]
    titles = [o[1] for o in options]
    assert FAR_ID not in values and TILED_ID not in values
    assert "Nächstes freies Brennholzlos" in titles
    assert all(title and title != value for value, title, _s in options), options
    selected = next(o for o in options if o[2])
    assert selected[0] != FAR_ID
    # the preselected choice answers with something in Hameln, metres or a few km away
    desktop.click("#nearest-form button[type=submit]")
    first = desktop.locator("#nearest-results .result").first
    first.wait_for(timeout=10000)
    meta = first.locator(".result-meta").inner_text()
    assert " km" not in meta or float(meta.split(" km")[0].split()[-1].replace(",", ".")) < 20


# ---- 2. what matters is visible without clicking --------------------------------------------


LOTS_VIEW = "/?layers=ortsteile,holzverkauf&center=52.0960,9.3290&zoom=15"


def lot_colours(page: Any) -> list[list[str]]:
    return page.evaluate(
        "BGIS.layers.holzverkauf.all.map(l => [String(l.feature.properties.status), l.options.fillColor, l.options.color])"
    )


def test_lots_are_coloured_by_status_with_a_legend(desktop: Any, map_server: str) -> None:
    open_map(desktop, map_server + LOTS_VIEW)
    colours = lot_colours(desktop)
    assert {status for status, _f, _c in colours} == set(STATUS_COLOURS)
    for status, fill, stroke in colours:
        assert fill == stroke == STATUS_COLOURS[status], (status, fill)
    legend = desktop.locator('[data-legend="holzverkauf"] li')
    assert legend.all_inner_texts() == list(STATUS_COLOURS)
    desktop.locator('[data-legend="holzverkauf"]').scroll_into_view_if_needed()
    assert desktop.locator('[data-legend="holzverkauf"]').is_visible()
    assert no_sideways_scroll(desktop)
    screenshot(desktop, "cityview-lots-desktop")


def test_only_free_lots_switch(desktop: Any, map_server: str) -> None:
    open_map(desktop, map_server + LOTS_VIEW)
    switch = desktop.get_by_label("nur freie Lose")
    assert switch.is_visible()
    total = desktop.evaluate("BGIS.layers.holzverkauf.all.length")
    free = sum(1 for status, _f, _c in lot_colours(desktop) if status == "frei")
    assert 0 < free < total
    shown = "BGIS.layers.holzverkauf.all.filter(l => BGIS.map.hasLayer(l)).length"
    assert desktop.evaluate(shown) == total
    switch.check()
    assert desktop.evaluate(shown) == free
    statuses = desktop.evaluate(
        "BGIS.layers.holzverkauf.all.filter(l => BGIS.map.hasLayer(l)).map(l => l.feature.properties.status)"
    )
    assert set(statuses) == {"frei"}
    screenshot(desktop, "cityview-only-free-desktop")
    switch.uncheck()
    assert desktop.evaluate(shown) == total
    # the switch belongs to the lots: hidden while they are off
    desktop.locator("#layer-holzverkauf").uncheck()
    assert not switch.is_visible()


def test_nearest_free_lot(desktop: Any, map_server: str) -> None:
    open_map(desktop, map_server + "/?center=52.0850,9.3990&zoom=14")
    desktop.select_option("#nearest-layer", label="Nächstes freies Brennholzlos")
    desktop.click("#nearest-form button[type=submit]")
    results = desktop.locator("#nearest-results .result")
    results.first.wait_for(timeout=10000)
    assert 1 <= results.count() <= 3
    labels = [t.strip() for t in results.locator(".result-label").all_inner_texts()]
    free = desktop.evaluate(
        "BGIS.layers.holzverkauf.all.filter(l => l.feature.properties.status === 'frei')"
        ".map(l => String(l.feature.properties.los_nr))"
    )
    assert set(labels) <= set(free)
    metres = desktop.evaluate(
        """(() => {
          const c = BGIS.map.getCenter();
          return BGIS.layers.holzverkauf.all
            .filter(l => l.feature.properties.status === 'frei')
            .map(l => [String(l.feature.properties.los_nr), BGIS.map.distance(c, l.getBounds().getCenter())])
            .sort((a, b) => a[1] - b[1]).slice(0, 3).map(x => x[0]);
        })()"""
    )
    assert labels == metres
    results.first.click()
    title = desktop.locator(".leaflet-popup .bgis-popup-title")
    title.wait_for(timeout=10000)
    assert title.inner_text() == labels[0]
    assert desktop.locator(".leaflet-popup .bgis-request").is_visible()  # free: Kaufanfrage


def test_fahrzeuge_coloured_by_status(desktop: Any, map_server: str) -> None:
    open_map(desktop, map_server + "/?layers=fahrzeugverkauf")
    colours = desktop.evaluate(
        """Object.values(BGIS.layers.fahrzeugverkauf.byId).map(m =>
             [m.feature.properties.status, m.getElement().querySelector('.bgis-dot').style.background])"""
    )
    expected = {"verfügbar": "rgb(26, 152, 80)", "reserviert": "rgb(224, 130, 20)",
                "verkauft": "rgb(140, 140, 140)"}  # fmt: skip
    assert colours and all(expected[status] == colour for status, colour in colours), colours
    legend = desktop.locator('[data-legend="fahrzeugverkauf"] li').all_inner_texts()
    assert legend == list(expected)
    shown = "BGIS.layers.fahrzeugverkauf.all.filter(l => BGIS.map.hasLayer(l)).map(l => l.feature.properties.status)"  # fmt: skip
    everything = desktop.evaluate(shown)
    assert set(everything) == set(expected)
    desktop.get_by_label("nur verfügbare Fahrzeuge").check()
    available = desktop.evaluate(shown)
    assert available and set(available) == {"verfügbar"}
    assert len(available) == everything.count("verfügbar")
    screenshot(desktop, "cityview-vehicles-desktop")


def test_vector_tiles_use_the_published_style(desktop: Any, map_server: str) -> None:
    open_map(desktop, map_server + f"/?layers={TILED_ID}&center=52.0960,9.3290&zoom=15")
    wait_for(desktop, f"BGIS.layers['{TILED_ID}'].gl && BGIS.layers['{TILED_ID}'].gl.getMaplibreMap().loaded()")  # fmt: skip
    paint = desktop.evaluate(
        f"BGIS.layers['{TILED_ID}'].gl.getMaplibreMap().getPaintProperty('{TILED_ID}-fill', 'fill-color')"
    )
    published = desktop.evaluate(
        f"fetch('/ogc/collections/{TILED_ID}/styles/default?f=mapbox').then(r => r.json())"
    )
    assert paint == published["layers"][0]["paint"]["fill-color"]
    assert paint[2:-1] == ["frei", "#1a9850", "reserviert", "#e08214", "verkauft", "#8c8c8c"]
    pane = desktop.evaluate(
        f"BGIS.layers['{TILED_ID}'].gl.getContainer().parentNode.classList.contains('bgis-pane')"
    )
    assert pane
    screenshot(desktop, "cityview-vectortiles-desktop")


# ---- draw order: a lot above an Ortsteil is what a click opens --------------------------------


def _lot_point(page: Any) -> dict[str, Any]:
    """A pixel inside a lot (the topmost element there must be the lot's own path)."""
    return page.evaluate(
        """(() => {
          const lots = BGIS.layers.holzverkauf.all;
          for (const l of lots) {
            const p = BGIS.map.latLngToContainerPoint(l.getBounds().getCenter());
            const r = BGIS.map.getContainer().getBoundingClientRect();
            const x = r.left + p.x, y = r.top + p.y;
            if (x < r.left + 60 || y < r.top + 60 || x > r.right - 60 || y > r.bottom - 60) continue;
            if (document.elementFromPoint(x, y) === l._path) {
              return {x: x, y: y, label: String(l.feature.properties.los_nr)};
            }
          }
          return null;
        })()"""
    )


@pytest.mark.parametrize("order", ["ortsteile,holzverkauf,stadtgebiet", "holzverkauf,stadtgebiet,ortsteile"])  # fmt: skip
def test_a_click_on_a_lot_opens_the_lot_not_the_ortsteil(
    desktop: Any, map_server: str, order: str
) -> None:
    for attempt in range(4):
        open_map(desktop, map_server + f"/?layers={order}&center=52.0960,9.3290&zoom=15")
        panes = desktop.evaluate(
            "['holzverkauf', 'ortsteile', 'stadtgebiet'].map(id => "
            "Number(BGIS.map.getPane(BGIS.layers[id].pane).style.zIndex))"
        )
        assert panes[0] > panes[1] > panes[2], panes  # lots over Ortsteile over Stadtgebiet
        point = _lot_point(desktop)
        assert point is not None, "kein Los mit sichtbarer Mitte im Ausschnitt"
        desktop.mouse.click(point["x"], point["y"])
        title = desktop.locator(".leaflet-popup .bgis-popup-title")
        title.wait_for(timeout=10000)
        assert title.inner_text() == point["label"], (attempt, title.inner_text())
        assert "Ortsteile" not in desktop.locator(".leaflet-popup .bgis-popup-layer").inner_text()


# ---- numbers in popups, long texts, phone ---------------------------------------------------


NBSP = "\u00a0"


def german(value: float) -> str:
    """What the popup must show: the same text as the one German formatter of lists and pages."""
    return number(value, "de")


def english(value: float) -> str:
    return number(value, "en")


def _popup_values(page: Any) -> dict[str, str]:
    page.locator(".leaflet-popup .bgis-popup dl").wait_for(timeout=10000)
    return page.evaluate(
        """(() => {
          const out = {};
          document.querySelectorAll('.leaflet-popup dl dt').forEach(dt => {
            out[dt.textContent] = dt.nextElementSibling.textContent; });
          return out;
        })()"""
    )


def test_popup_numbers_are_german_and_english(desktop: Any, map_server: str) -> None:
    open_map(desktop, map_server + "/?layers=kitas")
    items = desktop.evaluate(
        "fetch('/ogc/collections/fahrzeugverkauf/items?f=json&limit=100').then(r => r.json())"
    )
    car = max(items["features"], key=lambda f: f["properties"]["preis_eur"] or 0)
    props = car["properties"]
    assert props["preis_eur"] >= 10000  # a price that needs a thousands separator
    open_map(desktop, map_server + f"/?layers=fahrzeugverkauf&feature=fahrzeugverkauf:{car['id']}")
    values = _popup_values(desktop)
    # numbers with their unit after a no-break space (attribute unit): "57.550 €"
    assert values["Preis"] == german(props["preis_eur"]) + NBSP + "€" and "." in values["Preis"]
    assert values["Baujahr"] == str(props["baujahr"])  # a year stays 2015, not 2.015
    assert values["Kilometerstand"] == german(props["km_stand"]) + NBSP + "km"
    lots = desktop.evaluate(
        "fetch('/ogc/collections/holzverkauf/items?f=json&limit=200').then(r => r.json())"
    )
    lot = next(f for f in lots["features"] if not float(f["properties"]["menge_rm"]).is_integer())
    open_map(desktop, map_server + f"/?layers=holzverkauf&feature=holzverkauf:{lot['id']}")
    values = _popup_values(desktop)
    assert values["Menge"] == german(lot["properties"]["menge_rm"]) + NBSP + "rm"
    assert "," in values["Menge"]
    assert values["Preis je Raummeter"] == german(lot["properties"]["preis_rm"]) + NBSP + "€"
    desktop.locator(".leaflet-popup dd[data-field='preis_rm']").scroll_into_view_if_needed()
    screenshot(desktop, "cityview-popup-desktop")
    open_map(desktop, map_server + f"/?lang=en&layers=fahrzeugverkauf&feature=fahrzeugverkauf:{car['id']}")  # fmt: skip
    values = _popup_values(desktop)
    assert values["Price"] == english(props["preis_eur"]) + NBSP + "€"
    assert values["Mileage"] == english(props["km_stand"]) + NBSP + "km"
    open_map(desktop, map_server + f"/?lang=en&layers=holzverkauf&feature=holzverkauf:{lot['id']}")
    values = _popup_values(desktop)
    assert values["Volume"] == english(lot["properties"]["menge_rm"]) + NBSP + "stacked m³"
    desktop.locator(".leaflet-popup dd[data-field='preis_rm']").scroll_into_view_if_needed()
    screenshot(desktop, "cityview-popup-units-en-desktop")


def test_phone_lots_legend_and_popup_without_sideways_scrolling(
    phone: Any, map_server: str
) -> None:
    open_map(phone, map_server + LOTS_VIEW)
    assert no_sideways_scroll(phone)
    assert phone.get_by_label("nur freie Lose").is_visible()
    screenshot(phone, "cityview-lots-phone")
    lots = phone.evaluate(
        "BGIS.layers.holzverkauf.all.map(l => [l.feature.id, (l.feature.properties.hinweise || '').length])"
    )
    longest = max(lots, key=lambda x: x[1])[0]
    open_map(phone, map_server + f"/?layers=holzverkauf&feature=holzverkauf:{longest}")
    popup = phone.locator(".leaflet-popup-content")
    popup.wait_for(timeout=10000)
    box = popup.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    overflow = phone.evaluate(
        "(() => { const n = document.querySelector('.bgis-popup'); return n.scrollWidth <= n.clientWidth; })()"
    )
    assert overflow, "ein langer Text im Popup läuft seitlich über"
    assert no_sideways_scroll(phone)
    screenshot(phone, "cityview-popup-phone")
    # the panel (search, In der Nähe, legend) on the phone
    toggle = phone.locator("#panel-toggle")
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.tap()
    phone.locator('[data-legend="holzverkauf"]').scroll_into_view_if_needed()
    assert phone.locator('[data-legend="holzverkauf"]').is_visible()
    assert no_sideways_scroll(phone)
    screenshot(phone, "cityview-panel-phone")


def test_embed_legend_and_colours(desktop: Any, phone: Any, map_server: str) -> None:
    for page, name in ((desktop, "desktop"), (phone, "phone")):
        open_map(page, map_server + "/embed?layers=holzverkauf&center=52.0960,9.3290&zoom=15")
        colours = lot_colours(page)
        assert all(fill == STATUS_COLOURS[s] for s, fill, _c in colours)
        page.locator(".embed-legend summary").click()
        legend = page.locator('.embed-legend [data-legend="holzverkauf"] li')
        assert legend.all_inner_texts() == list(STATUS_COLOURS)
        assert no_sideways_scroll(page)
        screenshot(page, f"cityview-embed-{name}")


def test_popup_numbers_match_the_server_formatter(desktop: Any, map_server: str) -> None:
    """The browser's formatter and services/formatting.py number() write every number alike."""
    values = [0, 3, 42.5, 99.99, 100.0, 1234.567, 2015, 9999.5, 10000, 57550.0, 85000,
              123456.78, 1234567, -0.5, -12345.5, 0.125, 7.1, 1.005, 99999.995, -0.001]  # fmt: skip
    open_map(desktop, map_server + "/?layers=kitas")
    for lang in ("de", "en"):
        shown = desktop.evaluate(
            "([values, lang]) => { const old = BGIS.page.lang; BGIS.page.lang = lang;"
            " const out = values.map(v => BGIS.formatNumber(v)); BGIS.page.lang = old; return out; }",
            [values, lang],
        )
        assert shown == [number(v, lang) for v in values], lang
