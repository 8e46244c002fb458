"""City services on the city map in Debian's Chromium: Kaufanfrage links in lot popups, the
opening status of Bürgerbüros, "Was gilt hier?", the nearest open office and hidden past
entries — each compared with the database or the service's own JSON."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
from sqlalchemy import Engine

from buergergis.services import opening
from tests.maps_support import PageLog, axe_violations, screenshot, wait_for, wait_ready
from tests.services_support import LOTS, Restorer, restorer  # noqa: F401
from tests.wiring_support import all_fids, current_fids, lots, offices, on_one_day

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_layers")]
HOME = {"latitude": 52.1037, "longitude": 9.3563}  # Pferdemarkt


@pytest.fixture(scope="module")
def context(chromium: Any, map_server: str, demo_layers: list[str]) -> Iterator[Any]:
    ctx = chromium.new_context(
        viewport={"width": 1280, "height": 800},
        locale="de-DE",
        geolocation=HOME,
        permissions=["geolocation"],
    )
    yield ctx
    ctx.close()


@pytest.fixture(scope="module")
def page(context: Any) -> Iterator[Any]:
    p = context.new_page()
    p.log = PageLog(p)
    yield p
    assert p.log.errors == []
    p.close()


def js(page: Any, expression: str) -> Any:
    return page.evaluate(expression)


def open_view(page: Any, url: str) -> None:
    page.goto(url)
    wait_ready(page)


def open_popup(page: Any, base: str, layer: str, fid: str) -> Any:
    """The map with one feature's popup open (permalink ``feature=``)."""
    open_view(page, f"{base}/?{urlencode({'layers': layer, 'feature': f'{layer}:{fid}'})}")
    popup = page.locator(".leaflet-popup-content .bgis-popup")
    popup.wait_for()
    return popup


def test_free_lot_popup_links_to_the_kaufanfrage(
    page: Any, map_server: str, engine: Engine
) -> None:
    fid = sorted(lots(engine, status="frei"))[0]
    popup = open_popup(page, map_server, LOTS, fid)
    link = popup.get_by_role("link", name="Kaufanfrage stellen")
    assert link.get_attribute("href") == f"/holzverkauf/anfrage?los={quote(fid)}"
    assert "Dieses Los ist frei." in popup.inner_text()
    screenshot(page, "wiring-lot-free")
    link.click()
    page.get_by_label("E-Mail oder Telefon").wait_for()
    # the old URL redirects to the form of every service layer
    assert urlsplit(page.url).path == f"/anfrage/{LOTS}/{quote(fid)}" and fid in page.content()


@pytest.mark.parametrize("status", ["reserviert", "verkauft"])
def test_unavailable_lot_popup_has_no_request_link(
    page: Any, map_server: str, engine: Engine, status: str
) -> None:
    fid = sorted(lots(engine, status=status))[0]
    popup = open_popup(page, map_server, LOTS, fid)
    assert popup.get_by_role("link", name="Kaufanfrage stellen").count() == 0
    line = popup.locator(".bgis-lot-status")
    assert line.inner_text() == f"Dieses Los ist {status} – keine Kaufanfrage möglich."
    assert line.get_attribute("data-status") == status


def test_lot_status_from_the_data_is_never_html(
    page: Any,
    map_server: str,
    engine: Engine,
    restorer: Restorer,  # noqa: F811
) -> None:
    from buergergis.store.services import edits

    fid = restorer.keep(LOTS, sorted(lots(engine, status="verkauft"))[0], "status")
    evil = '<img src=x onerror="window.__xss=7">'
    with engine.begin() as conn:
        edits.edit_feature(conn, LOTS, fid, {"status": evil}, actor="tests", keep=5)
    popup = open_popup(page, map_server, LOTS, fid)
    assert evil in popup.locator(".bgis-lot-status").inner_text()
    assert popup.locator("img").count() == 0 and js(page, "window.__xss === undefined")


def test_office_popups_show_the_status_of_their_opening_hours(
    page: Any, map_server: str, engine: Engine
) -> None:
    found = offices(engine)
    open_view(page, f"{map_server}/?layers=buergeramt")
    for fid, name, hours in found:
        before = opening.status(hours).text
        js(page, f"BGIS.layers.buergeramt.openFeature({fid!r})")
        line = page.locator(".leaflet-popup-content .bgis-opening")
        wait_for(
            page,
            "(document.querySelector('.bgis-opening') || {dataset: {}}).dataset.state"
            " && document.querySelector('.bgis-opening').dataset.state !== 'loading'",
        )
        shown = line.inner_text()
        assert name in page.locator(".leaflet-popup-content").inner_text()
        assert shown in {before, opening.status(hours).text}, (fid, hours, shown)
        if fid == found[0][0]:
            screenshot(page, "wiring-office")
        js(page, "BGIS.map.closePopup()")
        page.locator(".leaflet-popup").wait_for(state="detached")
    assert len(found) >= 3


def test_was_gilt_hier_opens_mein_ort_for_the_clicked_point(page: Any, map_server: str) -> None:
    open_view(page, f"{map_server}/?layers=ortsteile,kitas&center=52.1037,9.3563&zoom=14")
    button = page.get_by_role("button", name="Was gilt hier?")
    button.focus()
    page.keyboard.press("Enter")  # keyboard-operable toggle
    assert button.get_attribute("aria-pressed") == "true"
    assert "Klicken Sie auf die Karte" in page.locator("#bgis-place-hint").inner_text()
    page.keyboard.press("Escape")
    assert button.get_attribute("aria-pressed") == "false"
    button.click()
    screenshot(page, "wiring-place-active")

    box = page.locator(".bgis-map").bounding_box()
    x, y = round(box["x"] + box["width"] * 0.4), round(box["y"] + box["height"] * 0.6)
    expected = js(page, f"BGIS.map.mouseEventToLatLng({{clientX: {x}, clientY: {y}}})")
    page.mouse.click(x, y)  # over an Ortsteil polygon and a Kita cluster's neighbourhood
    page.get_by_test_id("note").wait_for()
    params = {k: float(v[0]) for k, v in parse_qs(urlsplit(page.url).query).items()}
    assert urlsplit(page.url).path == "/mein-ort"
    assert params["lat"] == pytest.approx(expected["lat"], abs=1e-6)
    assert params["lon"] == pytest.approx(expected["lng"], abs=1e-6)

    report = page.request.get(f"{map_server}/mein-ort.json?{urlsplit(page.url).query}").json()
    assert report["ortsteil"] is not None
    assert page.get_by_test_id("ortsteil").inner_text() == report["ortsteil"]["name"]
    kitas = page.get_by_test_id("kitas").locator("li").all_inner_texts()
    assert [k.split(" (")[0] for k in kitas] == [k["name"] for k in report["kitas"]]
    screenshot(page, "wiring-mein-ort")


def test_centre_link_of_was_gilt_hier(page: Any, map_server: str) -> None:
    open_view(page, f"{map_server}/?layers=kitas&center=52.09,9.37&zoom=15")
    page.get_by_role("button", name="Was gilt hier?").click()
    link = page.get_by_role("link", name="Für die Kartenmitte")
    params = parse_qs(urlsplit(link.get_attribute("href")).query)
    assert float(params["lat"][0]) == pytest.approx(52.09, abs=1e-5)
    assert float(params["lon"][0]) == pytest.approx(9.37, abs=1e-5)


def test_nearest_buergeramt_is_the_nearest_open_office(page: Any, map_server: str) -> None:
    open_view(page, f"{map_server}/?layers=buergeramt")
    page.get_by_label("Nächstgelegene Einrichtung aus").select_option("buergeramt")
    page.get_by_role("button", name="Nächstgelegene anzeigen").click()
    first = page.locator("#nearest-results .result").first
    first.wait_for()
    query = urlencode({"lat": f"{HOME['latitude']:.6f}", "lon": f"{HOME['longitude']:.6f}"})
    body = page.request.get(f"{map_server}/dienste/buergeramt/offen?{query}").json()
    office = body["office"] or body["opens_next"]
    heading = "Nächstes jetzt geöffnetes" if body["office"] else "kein Bürgerbüro geöffnet"
    assert heading in page.locator("#nearest-results").inner_text()
    assert office["name"] in first.inner_text()
    first.click()
    page.locator(".leaflet-popup-content .bgis-opening").wait_for()


def test_past_entries_are_hidden_on_the_map_unless_alle(
    page: Any, map_server: str, engine: Engine
) -> None:
    layers = ("ferienaktionen", "stellenangebote")

    def shown() -> dict[str, set[str]]:
        open_view(page, f"{map_server}/?layers={','.join(layers)}")
        return {la: set(js(page, f"Object.keys(BGIS.layers.{la}.byId)")) for la in layers}

    day, ids = on_one_day(shown)
    for layer in layers:
        assert ids[layer] == current_fids(engine, layer, day) != all_fids(engine, layer)

    page.get_by_role("link", name=re.compile("Auch vergangene anzeigen.*Ferienaktionen")).click()
    wait_ready(page)
    assert parse_qs(urlsplit(page.url).query)["alle"] == ["1"]
    for layer in layers:
        assert set(js(page, f"Object.keys(BGIS.layers.{layer}.byId)")) == all_fids(engine, layer)
    js(page, "BGIS.map.panBy([40, 0], {animate: false})")
    wait_for(page, "new URLSearchParams(location.search).get('alle') === '1'")
    popup_list = js(page, "BGIS.listUrl(BGIS.layers.ferienaktionen.cfg, 'FA-01')")
    assert "alle=1" in popup_list


def test_new_controls_pass_axe(page: Any, map_server: str) -> None:
    page.goto(f"{map_server}/liste/holzverkauf?status=frei")
    assert page.get_by_label("Status").input_value() == "frei"
    assert axe_violations(page) == []
    page.goto(f"{map_server}/liste/ferienaktionen")
    assert axe_violations(page) == []
    open_view(page, f"{map_server}/?layers=ferienaktionen,holzverkauf")
    page.get_by_role("button", name="Was gilt hier?").click()
    assert axe_violations(page) == []
