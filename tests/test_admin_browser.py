"""The staff journey in real headless Chromium (Debian's /usr/bin/chromium via Playwright):
log in, upload a cp1252 Shapefile without .cpg as a zip, see "Bad Münder am Deister" in the
preview, publish privately, relabel and style it, publish, find it with its labels on the
citizen map, replace and roll back after confirmations, unpublish, delete, restore, delete
for good, log out. Screenshots (desktop 1366×800, phone 390×844) go to test-artifacts/."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from werkzeug.serving import make_server

from buergergis.admin import auth
from buergergis.store import audit
from tests.admin_support import (
    PASSWORD,
    geojson_bytes,
    make_staff,
    point,
    upload_and_publish,
    zip_files,
)
from tests.maps_support import axe_violations

pytestmark = pytest.mark.browser

TITLE = "Gemeinden im Landkreis"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
GEMEINDEN = [
    "Aerzen",
    "Bad Münder am Deister",
    "Bad Pyrmont",
    "Coppenbrügge",
    "Emmerthal",
    "Hameln",
    "Hessisch Oldendorf",
    "Salzhemmendorf",
]
PHONE_DATA = geojson_bytes(
    [point(9.3561, 52.1036, name="Rathaus"), point(9.357, 52.104, name="Münster")]
)


@pytest.fixture(scope="module")
def live_server(app: Flask) -> Iterator[str]:
    """The session app served by a real HTTP server on a free port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def browser(chromium: Any) -> Any:
    """The session's shared Chromium (one Playwright per process)."""
    return chromium


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1366, "height": 800}, locale="de-DE")
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    yield page
    context.close()
    assert not dialogs, f"JavaScript-Dialoge: {dialogs}"


def _login(page: Any, base: str, name: str) -> None:
    page.goto(base + "/admin/")
    assert "/admin/login" in page.url
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/admin/")


def _upload(page: Any, base: str, file: Path) -> None:
    page.goto(base + "/admin/upload")
    page.set_input_files("#file", str(file))
    page.click("form button[type=submit] >> text=Hochladen")
    page.wait_for_url("**/admin/uploads/*")


def _columns(engine: Engine, layer_id: str) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT column_name FROM information_schema.columns"
                    " WHERE table_schema = 'layers' AND table_name = :t"
                ),
                {"t": layer_id},
            ).scalars()
        )


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _confirm(page: Any, expected: str) -> None:
    """A confirmation page that says ``expected``; confirm it."""
    from playwright.sync_api import expect

    expect(page.get_by_test_id("confirm")).to_contain_text(expected)
    page.get_by_test_id("confirm-button").click()


def _citizen_popup(browser: Any, base: str, layer_id: str) -> str:
    """Open the citizen map (anonymous) on the layer and click the feature at the centre."""
    context = browser.new_context(viewport={"width": 1366, "height": 800}, locale="de-DE")
    try:
        citizen = context.new_page()
        citizen.goto(f"{base}/?layers={layer_id}&center=52.1037,9.3563&zoom=12")
        citizen.wait_for_selector("html[data-map-ready='true']", state="attached")
        citizen.mouse.click(683, 420)
        popup = citizen.locator(".bgis-popup")
        popup.wait_for()
        citizen.wait_for_timeout(400)  # let the popup finish fading in for the screenshot
        _shot(citizen, "admin-journey-citizen-map")
        return str(popup.inner_text())
    finally:
        context.close()


def test_staff_journey(
    page: Any, browser: Any, live_server: str, engine: Engine, shared_data: Path, tmp_path: Path
) -> None:
    """Upload a zipped Shapefile, publish privately, relabel and style by attribute, publish,
    see it with labels on the citizen map, replace and roll back after confirmations,
    unpublish, delete, restore, delete for good — every step audited."""
    from playwright.sync_api import expect

    name = "browser.redaktion"
    auth.add_account(engine, name, PASSWORD, "editor", actor="tests")
    base, layer = live_server, "gemeinden-browser"
    encoding = shared_data / "official" / "encoding"
    first = tmp_path / "gemeinden.zip"
    first.write_bytes(zip_files(sorted(encoding.glob("gem_cp1252_no_cpg.*")), "gemeinden/"))

    _login(page, base, name)
    expect(page.get_by_test_id("whoami")).to_contain_text(name)
    _upload(page, base, first)
    expect(page.get_by_test_id("encoding")).to_contain_text("Bad Münder am Deister")
    expect(page.get_by_test_id("rows")).to_contain_text("Bad Münder am Deister")
    expect(page.get_by_test_id("count")).to_have_text("8")
    expect(page.locator("#preview-map")).to_have_attribute("data-ready", "true")
    expect(page.locator("#preview-map path.leaflet-interactive")).to_have_count(8)
    expect(page.locator("#public")).not_to_be_checked()  # risky default gone

    # 1. publish privately
    page.fill("#title", TITLE)
    page.fill("#id", layer)
    page.click("[data-testid=publish] button[type=submit]")
    page.wait_for_url(f"{base}/admin/layers/{layer}")
    expect(page.locator("body")).to_contain_text("Layer veröffentlicht")
    expect(page.get_by_test_id("visibility")).to_have_text("privat")
    expect(page.get_by_test_id("managed-by")).to_have_text("Redaktion")
    assert _anonymous_status(page, base, layer) == 404

    # 2. relabel the fields, style by attribute
    edit = page.get_by_test_id("edit")
    edit.locator("input[name=title_gen]").fill("Gemeinde")
    edit.locator("input[name=title_en_gen]").fill("Municipality")
    edit.locator("input[name=title_bez]").fill("Art")
    edit.locator("input[name=show_ags]").uncheck()
    for field in ("gen", "bez"):
        edit.locator(f"input[name=popup][value={field}]").check()
    page.select_option("#label", "gen")
    page.select_option("#by_attribute", "bez")
    page.fill("#by_categories", "Stadt = #aa3300 = Städte\nGemeinde = #2266aa = Gemeinden")
    page.fill("#description", "Städte und Gemeinden im Landkreis Hameln-Pyrmont")
    _shot(page, "admin-journey-edit-desktop")
    edit.locator("button[type=submit]").click()
    expect(page.locator("body")).to_contain_text("Änderungen gespeichert")
    expect(page.get_by_test_id("versions")).to_contain_text("Version 2")

    # 3. publish, see it with the labels on the citizen map
    page.get_by_role("button", name="Öffentlich schalten").click()
    expect(page.get_by_test_id("visibility")).to_have_text("öffentlich")
    popup = _citizen_popup(browser, base, layer)
    assert "Gemeinde" in popup and "Art" in popup and "Stadt" in popup, popup
    assert "GEN" not in popup and "ags" not in popup.lower().split()

    # 4. replace after a confirmation that gives the counts; no preselected layer
    second = tmp_path / "gemeinden.geojson"
    second.write_bytes(
        (shared_data / "official" / "derived_hameln_pyrmont_gemeinden_4326.geojson").read_bytes()
    )
    _upload(page, base, second)
    expect(page.locator("[data-testid=replace] select")).to_have_value("")
    page.select_option("[data-testid=replace] select", layer)
    page.click("[data-testid=replace] button[type=submit]")
    expect(page.get_by_test_id("confirm")).to_contain_text("Objekte ersetzen 8 Objekte")
    _shot(page, "admin-journey-replace-confirm-desktop")
    page.get_by_test_id("confirm-button").click()
    page.wait_for_url(f"{base}/admin/layers/{layer}")
    expect(page.locator("body")).to_contain_text("Daten ersetzt")
    assert "nuts" in _columns(engine, layer)

    # 5. roll back to Version 1 after a confirmation
    page.locator("tr[data-number='1'] a").click()
    _confirm(page, "8 Objekte (Version 1) ersetzen")
    expect(page.locator("body")).to_contain_text("Version 1 ist wieder live")
    with engine.connect() as conn:
        names = conn.execute(text(f'SELECT gen FROM layers."{layer}"')).scalars()  # noqa: S608
        assert sorted(names) == sorted(GEMEINDEN)

    # 6. unpublish, delete (confirmation names the layer), restore, delete for good
    page.get_by_role("button", name="Verbergen (privat stellen)").click()
    expect(page.get_by_test_id("visibility")).to_have_text("privat")
    assert _anonymous_status(page, base, layer) == 404
    page.get_by_role("link", name="Löschen …").click()
    _confirm(page, f"Layer „{TITLE}“ ({layer}, 8 Objekte)")
    expect(page.get_by_test_id("trash")).to_contain_text(TITLE)
    _shot(page, "admin-journey-trash-desktop")
    page.goto(f"{base}/admin/tokens")  # API tokens are managed here too
    page.fill("#label", "Skript Gemeinden")
    page.get_by_role("button", name="Token erzeugen").click()
    expect(page.get_by_test_id("new-token")).to_contain_text("nur dieses eine Mal")
    expect(page.get_by_test_id("tokens")).to_contain_text("Skript Gemeinden")
    _shot(page, "admin-journey-tokens-desktop")
    page.goto(f"{base}/admin/")
    page.locator(f"[data-testid=trash] tr[data-layer={layer}]").get_by_role(
        "button", name="Wiederherstellen"
    ).click()
    page.wait_for_url(f"{base}/admin/layers/{layer}")
    expect(page.get_by_test_id("layer-title")).to_have_text(TITLE)
    page.get_by_role("link", name="Löschen …").click()
    _confirm(page, "30 Tage im Papierkorb")
    page.locator(f"[data-testid=trash] tr[data-layer={layer}]").get_by_role(
        "link", name="Endgültig löschen …"
    ).click()
    _confirm(page, "kann nicht rückgängig gemacht werden")
    expect(page.locator("body")).to_contain_text("endgültig gelöscht")
    assert not _columns(engine, layer)

    with engine.connect() as conn:
        actions = [e.action for e in audit.entries(conn, layer_id=layer, limit=20)][::-1]
    assert actions == [
        "publish",
        "layer_edit",
        "layer_public",
        "replace",
        "rollback",
        "layer_private",
        "layer_delete",
        "layer_restore",
        "layer_delete",
        "layer_purge",
    ]

    page.click("text=Abmelden")
    page.wait_for_url("**/admin/login")
    page.goto(base + "/admin/")
    assert "/admin/login" in page.url


def _anonymous_status(page: Any, base: str, layer_id: str) -> int:
    """Status of the layer's items for someone who is not logged in."""
    context = page.context.browser.new_context()
    try:
        return int(context.request.get(f"{base}/ogc/collections/{layer_id}/items").status)
    finally:
        context.close()


def test_phone_layout_of_the_staff_pages(
    browser: Any, live_server: str, engine: Engine, client: FlaskClient
) -> None:
    """The layer page, a confirmation and the overview on a phone (390×844, touch)."""
    from playwright.sync_api import expect

    name = "browser.telefon"
    auth.add_account(engine, name, PASSWORD, "editor", actor="tests")
    staff = make_staff(engine, "editor", prefix="phone")
    upload_and_publish(client, staff, PHONE_DATA, "orte.geojson", "orte-telefon", popup=["name"])
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="de-DE"
    )
    try:
        page = context.new_page()
        _login(page, live_server, name)
        page.goto(f"{live_server}/admin/layers/orte-telefon")
        expect(page.get_by_test_id("edit")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert axe_violations(page) == []  # labelled fields, contrast (serious/critical)
        _shot(page, "admin-journey-edit-phone")
        page.get_by_role("link", name="Löschen …").tap()
        expect(page.get_by_test_id("confirm")).to_contain_text("orte-telefon")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert axe_violations(page) == []
        _shot(page, "admin-journey-delete-confirm-phone")
        page.get_by_test_id("confirm-button").tap()
        expect(page.get_by_test_id("trash")).to_contain_text("orte-telefon")
        _shot(page, "admin-journey-overview-phone")
    finally:
        context.close()


def test_preview_popups_show_values_as_text(
    page: Any, live_server: str, engine: Engine, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    name = "browser.popup"
    auth.add_account(engine, name, PASSWORD, "editor", actor="tests")
    evil = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    file = tmp_path / "boese.geojson"
    file.write_bytes(geojson_bytes([point(9.3561, 52.1036, name=evil)]))
    _login(page, live_server, name)
    _upload(page, live_server, file)
    expect(page.locator("#preview-map")).to_have_attribute("data-ready", "true")
    page.locator("#preview-map path.leaflet-interactive").first.click()
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text(evil)
    expect(page.locator("#preview-map img[src=x]")).to_have_count(0)
    expect(page.locator("#preview-map script")).to_have_count(0)


def test_geotiff_and_curved_geopackage_reach_the_citizen_map(
    page: Any, browser: Any, live_server: str, engine: Engine, tmp_path: Path
) -> None:
    """Upload a GeoTIFF and a GeoPackage with curves as a clerk; both show on the map."""
    from playwright.sync_api import expect

    from tests.test_admin_raster import dem, geotiff

    name = "browser.raster"
    auth.add_account(engine, name, PASSWORD, "editor", actor="tests")
    base = live_server
    tif = geotiff(tmp_path / "relief.tif", dem(80))
    _login(page, base, name)
    _upload(page, base, tif)
    expect(page.get_by_test_id("raster-crs")).to_have_text("EPSG:25832")
    expect(page.get_by_test_id("raster-preview")).to_be_visible()
    _shot(page, "admin-journey-raster-doctor-desktop")
    page.fill("#title", "Relief Innenstadt")
    page.fill("#id", "relief-browser")
    page.select_option("#mode", "hillshade")
    page.check("#public")
    page.click("[data-testid=publish] button[type=submit]")
    page.wait_for_url(f"{base}/admin/layers/relief-browser")
    expect(page.get_by_test_id("visibility")).to_have_text("öffentlich")

    gpkg = _curved_geopackage(tmp_path)
    _upload(page, base, gpkg)
    expect(page.get_by_test_id("geometry")).to_contain_text("3 Kurven linearisiert")
    page.fill("#title", "Kreisel")
    page.fill("#id", "kreisel-browser")
    page.check("#public")
    page.click("[data-testid=publish] button[type=submit]")
    page.wait_for_url(f"{base}/admin/layers/kreisel-browser")

    context = browser.new_context(viewport={"width": 1366, "height": 800}, locale="de-DE")
    try:
        citizen = context.new_page()
        tiles: list[str] = []
        citizen.on("request", lambda r: tiles.append(r.url))
        citizen.goto(f"{base}/?layers=relief-browser,kreisel-browser&center=52.1037,9.3563&zoom=14")
        citizen.wait_for_selector("html[data-map-ready='true']", state="attached")
        expect(citizen.get_by_role("checkbox", name="Relief Innenstadt")).to_be_checked()
        expect(citizen.locator("path.leaflet-interactive")).to_have_count(3)
        assert any("/tiles/relief-browser/" in u for u in tiles), "raster tiles are requested"
        citizen.wait_for_timeout(400)  # let the tiles fade in for the screenshot
        _shot(citizen, "admin-journey-raster-curves-map")
    finally:
        context.close()

    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="de-DE"
    )
    try:
        small = phone.new_page()
        _login(small, base, name)
        _upload(small, base, tif)
        expect(small.get_by_test_id("raster-preview")).to_be_visible()
        assert small.evaluate("document.documentElement.scrollWidth") <= 390
        _shot(small, "admin-journey-raster-doctor-phone")
    finally:
        phone.close()


def _curved_geopackage(tmp_path: Path) -> Path:
    import shutil
    import subprocess

    from tests.test_admin_curves import CURVES

    ogr2ogr = shutil.which("ogr2ogr")
    assert ogr2ogr, "ogr2ogr (gdal-bin) fehlt"
    (tmp_path / "kurven.csv").write_text(CURVES, encoding="utf-8")
    target = tmp_path / "kreisel.gpkg"
    subprocess.run(
        [
            ogr2ogr,
            "-f",
            "GPKG",
            str(target),
            str(tmp_path / "kurven.csv"),
            "-a_srs",
            "EPSG:25832",
            "-nln",
            "kreisel",
            "-nlt",
            "CURVEPOLYGON",
            "-oo",
            "GEOM_POSSIBLE_NAMES=WKT",
            "-oo",
            "KEEP_GEOM_COLUMNS=NO",
        ],
        check=True,
        capture_output=True,
    )
    return target
