"""The staff journey in real headless Chromium (Debian's /usr/bin/chromium via Playwright):
log in, upload a cp1252 Shapefile without .cpg as a zip, see "Bad Münder am Deister" in the
preview, publish, find it on the citizen map, replace it, roll back, log out."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, text
from werkzeug.serving import make_server

from buergergis.admin import auth
from tests.admin_support import PASSWORD, geojson_bytes, point, zip_files

pytestmark = pytest.mark.browser

TITLE = "Gemeinden im Landkreis"


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
    context = browser.new_context(locale="de-DE")
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


def test_staff_journey(
    page: Any, live_server: str, engine: Engine, shared_data: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    name = "browser.redaktion"
    auth.add_account(engine, name, PASSWORD, "editor", actor="tests")
    base = live_server
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

    page.fill("#title", TITLE)
    page.fill("#id", "gemeinden-browser")
    page.click("[data-testid=publish] button[type=submit]")
    page.wait_for_url(base + "/admin/layers/gemeinden-browser")
    expect(page.locator("body")).to_contain_text("Layer veröffentlicht")
    first_version = page.get_by_test_id("live-version").inner_text()

    page.goto(base + "/")
    expect(page.locator("body")).to_contain_text(TITLE)

    second = tmp_path / "gemeinden.geojson"
    second.write_bytes(
        (shared_data / "official" / "derived_hameln_pyrmont_gemeinden_4326.geojson").read_bytes()
    )
    _upload(page, base, second)
    page.select_option("[data-testid=replace] select", "gemeinden-browser")
    page.click("[data-testid=replace] button[type=submit]")
    page.wait_for_url(base + "/admin/layers/gemeinden-browser")
    expect(page.locator("body")).to_contain_text("Daten ersetzt")
    assert "nuts" in _columns(engine, "gemeinden-browser")

    page.click(f"tr[data-version='{first_version}'] button")
    expect(page.locator("body")).to_contain_text(f"Version {first_version} ist wieder live")
    with engine.connect() as conn:
        names = (
            conn.execute(text('SELECT gen FROM layers."gemeinden-browser" ORDER BY gid'))
            .scalars()
            .all()
        )
    assert "Bad Münder am Deister" in names and len(names) == 8
    assert "nuts" not in _columns(engine, "gemeinden-browser")

    page.click("text=Abmelden")
    page.wait_for_url("**/admin/login")
    page.goto(base + "/admin/")
    assert "/admin/login" in page.url


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
