"""End to end in Debian's Chromium: a citizen requests a wood lot, staff reserve it, and the
lot list, its map, the OGC API and the city map show "reserviert" at once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from tests.admin_support import PASSWORD, Staff, editor  # noqa: F401
from tests.maps_support import axe_violations, screenshot, wait_ready
from tests.services_support import LOTS, Restorer, lots_with, restorer, value_of  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_layers")]


@pytest.fixture()
def citizen(chromium: Any) -> Iterator[Any]:
    ctx = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    yield ctx
    ctx.close()


@pytest.fixture()
def office(chromium: Any) -> Iterator[Any]:
    ctx = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    yield ctx
    ctx.close()


def request_lot(page: Any, base: str, fid: str) -> str:
    """Fill and send the Kaufanfrage; returns the reference number."""
    page.goto(f"{base}/holzverkauf?status=frei")
    page.wait_for_selector("#lot-map[data-ready]", state="attached")
    page.locator(f'tr[data-fid="{fid}"]').get_by_role(
        "link", name=re.compile("Kaufanfrage")
    ).click()
    page.get_by_label("Ihr Name").fill("Hans Holzmann")
    page.get_by_label("E-Mail oder Telefon").fill("05151 123456")
    page.get_by_label("Nachricht (freiwillig)").fill(
        "Abholung im Dezember, Motorsägenschein liegt vor."
    )
    page.get_by_label(re.compile("Ich bin einverstanden")).check()
    page.get_by_role("button", name="Kaufanfrage senden").click()
    reference = page.get_by_test_id("reference")
    reference.wait_for()
    screenshot(page, "services-request-done")
    return str(reference.inner_text())


def reserve(page: Any, base: str, staff: Staff, reference: str) -> None:
    """Log in and press "Los reserviert" on the request."""
    page.goto(f"{base}/admin/login?next=/admin/dienste/anfragen")
    page.get_by_label("Name").fill(staff.name)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    row = page.locator(f'tr[data-request="{int(reference[-6:])}"]')
    row.wait_for()
    row.get_by_role("link", name=reference).click()
    page.get_by_role("button", name="Angebot reserviert").click()
    page.get_by_text(f"Anfrage {reference} bearbeitet").wait_for()
    screenshot(page, "services-staff-reserved")


def test_request_reserve_and_every_view_shows_it(
    citizen: Any,
    office: Any,
    map_server: str,
    engine: Any,
    editor: Staff,  # noqa: F811
    restorer: Restorer,  # noqa: F811
) -> None:
    fid = restorer.keep(LOTS, lots_with(engine, "frei")[0], "status")
    page = citizen.new_page()
    reference = request_lot(page, map_server, fid)
    assert re.fullmatch(r"HV-\d{4}-\d{6}", reference)
    assert citizen.cookies() == []  # browsing and requesting set no cookie

    reserve(office.new_page(), map_server, editor, reference)
    assert value_of(engine, LOTS, fid, "status") == "reserviert"

    page.goto(f"{map_server}/holzverkauf")
    page.wait_for_selector("#lot-map[data-ready]", state="attached")
    assert page.locator(f'tr[data-fid="{fid}"]').get_attribute("data-status") == "reserviert"
    assert (
        page.locator(f'tr[data-fid="{fid}"]')
        .get_by_role("link", name=re.compile("Kaufanfrage"))
        .count()
        == 0
    )
    item = page.request.get(f"{map_server}/ogc/collections/{LOTS}/items/{quote(fid)}?f=json")
    assert item.ok and item.json()["properties"]["status"] == "reserviert"

    page.goto(f"{map_server}/?layers={LOTS}&feature={LOTS}:{quote(fid)}")
    wait_ready(page)
    popup = page.locator(".leaflet-popup-content .bgis-popup")
    popup.wait_for()
    assert "reserviert" in popup.inner_text()
    screenshot(page, "services-map-reserviert")
    assert citizen.cookies() == []


def test_mein_ort_by_clicking_the_map(citizen: Any, map_server: str) -> None:
    page = citizen.new_page()
    page.goto(f"{map_server}/mein-ort")
    page.wait_for_selector("#pick-map[data-ready]", state="attached")
    page.locator("#pick-map").click()  # the centre of the map: Hameln's old town
    page.get_by_test_id("note").wait_for()
    assert "lat=" in page.url and "lon=" in page.url
    assert (
        page.get_by_test_id("note").inner_text()
        == "Keine amtliche Auskunft. Alle Angaben ohne Gewähr."
    )
    assert page.get_by_test_id("ortsteil").inner_text() != "außerhalb der Ortsteile"
    assert page.get_by_test_id("kitas").locator("li").count() == 3
    screenshot(page, "services-mein-ort")
    page.goto(f"{map_server}/holzverkauf?holzart=Buche")
    page.wait_for_selector("#lot-map[data-ready]", state="attached")
    rows = page.locator("#lots tbody tr[data-fid]").count()
    assert page.locator("#lot-map path.leaflet-interactive").count() == rows > 0
    screenshot(page, "services-lots")
    assert citizen.cookies() == []


@pytest.mark.parametrize(
    "path",
    [
        "/dienste",
        "/holzverkauf",
        "/dienste/stellenangebote?alle=1",
        "/dienste/buergeramt?lat=52.1035&lon=9.3575",
        "/mein-ort?lat=52.1035&lon=9.3575",
        "/mein-ort",
    ],
)
def test_service_pages_have_no_serious_accessibility_problems(
    citizen: Any, map_server: str, path: str
) -> None:
    page = citizen.new_page()
    page.goto(map_server + path)
    assert axe_violations(page) == []
    page.close()


def test_request_form_is_accessible_also_with_errors(
    citizen: Any, map_server: str, engine: Any
) -> None:
    page = citizen.new_page()
    page.goto(f"{map_server}/anfrage/holzverkauf/{lots_with(engine, 'frei')[0]}")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Kaufanfrage senden").click()
    page.get_by_test_id("form-errors").wait_for()
    assert axe_violations(page) == []
    page.close()
