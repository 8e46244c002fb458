"""Share in Chromium (issue 16, section 4): the QR code on a sign in the city forest opens the
lot on a phone. The test reads the QR code off the phone's screen (zxing-cpp), opens the decoded
link in a fresh phone and checks that the lot's popup is open; the map's share button works with
the keyboard (Enter opens the dialog, Escape closes it and focus returns)."""

from __future__ import annotations

import io
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import Engine, text

from buergergis.store.sql import layer_view
from tests.maps_support import (
    PHONE,
    axe_violations,
    screenshot,
    wait_for,
    wait_ready,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def lot(engine: Engine, demo_layers: list[str]) -> str:
    """The fid of a firewood lot."""
    with engine.connect() as conn:
        row = conn.execute(
            text(f"SELECT fid FROM {layer_view('holzverkauf')} ORDER BY gid LIMIT 1")  # noqa: S608
        ).one()
    return str(row.fid)


def decode(png: bytes) -> str:
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L"))
    assert len(found) == 1, found
    return str(found[0].text)


def open_popup(page: Any, base: str, fid: str) -> None:
    page.goto(f"{base}/?layers=holzverkauf&zoom=14")
    wait_ready(page)
    assert page.evaluate("id => BGIS.layers.holzverkauf.openFeature(id)", fid)
    page.locator(".bgis-popup .bgis-popup-share").wait_for()


def popup_fid(page: Any) -> str | None:
    return page.evaluate(
        "() => { const p = BGIS.map._popup; return p && p.isOpen() && p._source.feature"
        " ? String(p._source.feature.id) : null; }"
    )


def test_qr_code_of_a_lot_opens_the_lot_on_a_phone(map_server: str, phone: Any, lot: str) -> None:
    fid = lot
    page = phone.new_page()
    open_popup(page, map_server, fid)
    page.locator(".bgis-popup .bgis-popup-share").tap()
    dialog = page.locator("#share-dialog")
    dialog.wait_for()
    wait_for(page, "document.querySelector('#share-dialog .share-qr img').complete"
                   " && document.querySelector('#share-dialog .share-qr img').naturalWidth > 0")  # fmt: skip
    screenshot(page, "share-phone-dialog")
    assert axe_violations(page) == []
    link = page.locator("#share-dialog-url").input_value()
    assert link.startswith(map_server + "/?")
    assert f"feature=holzverkauf:{fid}" in link
    # what a phone camera sees: the QR code as drawn on the screen
    seen = decode(page.locator("#share-dialog .share-qr img").screenshot())
    assert seen == link
    # the printed sign: the SVG for printing, downloaded, is the same code
    svg_href = page.locator("[data-share-download='svg']").get_attribute("href")
    assert svg_href and svg_href.startswith("/teilen.svg?url=")

    walker = phone.new_page()  # a fresh phone in the forest scans the sign
    walker.goto(seen)
    wait_ready(walker)
    wait_for(walker, "document.querySelector('.leaflet-popup .bgis-popup')")
    assert popup_fid(walker) == fid
    assert walker.evaluate("BGIS.map.hasLayer(BGIS.layers.holzverkauf)")
    screenshot(walker, "share-phone-opened-lot")


def test_share_button_with_the_keyboard(map_server: str, desktop: Any) -> None:
    page = desktop.new_page()
    page.goto(f"{map_server}/?layers=kitas&zoom=14&center=52.10370,9.35630")
    wait_ready(page)
    button = page.locator("#share-button")
    button.focus()
    page.keyboard.press("Enter")
    page.locator("#share-dialog[open]").wait_for()
    assert page.evaluate("document.activeElement.id") == "share-dialog-url"
    link = page.locator("#share-dialog-url").input_value()
    # the view as the map has it (centre snapped to whole pixels), in canonical order
    assert link.startswith(f"{map_server}/?center=52.103")
    assert link.endswith("&zoom=14&layers=kitas")
    wait_for(page, "document.querySelector('#share-dialog .share-qr img').naturalWidth > 0")
    assert decode(page.locator("#share-dialog .share-qr img").screenshot()) == link
    screenshot(page, "share-desktop-dialog")
    assert axe_violations(page) == []
    page.keyboard.press("Escape")
    wait_for(page, "!document.querySelector('#share-dialog').open")
    assert page.evaluate("document.activeElement.id") == "share-button"


def test_share_page_without_javascript(map_server: str, chromium: Any) -> None:
    ctx = chromium.new_context(java_script_enabled=False, **PHONE)
    try:
        page = ctx.new_page()
        page.goto(f"{map_server}/?layers=kitas")
        page.locator("#share-button").click()
        page.wait_for_url(lambda url: "/teilen?url=" in url)
        page.locator(".share-qr img").wait_for()
        page.wait_for_load_state("load")
        screenshot(page, "share-phone-page-nojs")
        link = page.locator("#share-url").input_value()
        assert link == f"{map_server}/?layers=kitas"
        assert decode(page.locator(".share-qr img").screenshot()) == link
    finally:
        ctx.close()


def test_share_page_passes_axe(map_server: str, desktop: Any) -> None:
    page = desktop.new_page()
    page.goto(f"{map_server}/teilen?url=%2F%3Flayers%3Dholzverkauf%26lang%3Den")
    assert page.locator("h1").inner_text() == "Link and QR code"
    screenshot(page, "share-desktop-page")
    assert axe_violations(page) == []
