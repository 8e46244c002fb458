"""In Debian's Chromium, desktop and phone: search an address, open „Mein Ort" for it, print view.

Screenshots go to ``test-artifacts/mein-ort-*.png``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.maps_support import axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_layers")]

VIEWPORTS = {
    "desktop": {"viewport": {"width": 1366, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}


@pytest.fixture(params=sorted(VIEWPORTS))
def device(request: pytest.FixtureRequest, chromium: Any) -> Iterator[tuple[str, Any]]:
    ctx = chromium.new_context(locale="de-DE", **VIEWPORTS[request.param])
    page = ctx.new_page()
    hosts: set[str] = set()
    page.on("request", lambda r: hosts.add(r.url.split("/")[2]))
    page.hosts = hosts
    yield request.param, page
    ctx.close()


def no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth") + 1, width


def test_search_an_address_and_open_mein_ort(device: tuple[str, Any], map_server: str) -> None:
    name, page = device
    page.goto(f"{map_server}/search?q=Hameln&f=html")
    field = page.get_by_label("Adresse, Name oder Einrichtung")
    field.fill("osterstr. 2")
    field.press("Enter")
    first = page.locator("ol.search-results li").first
    first.wait_for()
    assert first.locator("a").first.inner_text() == "Osterstraße 2"
    assert "gefunden in Adresse" in first.inner_text()
    screenshot(page, f"mein-ort-search-{name}")

    place = first.locator("a.result-place")
    assert place.text_content() == "Mein Ort: Osterstraße 2"  # the hidden part names the place
    place.click()
    heading = page.get_by_role("heading", level=1)
    heading.wait_for()
    assert heading.inner_text() == "Mein Ort: Osterstraße 2, 31785 Hameln"
    svg = page.locator("figure.place-map svg")
    box = svg.bounding_box()
    assert box and box["width"] >= 300 and box["height"] >= 300
    assert box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]
    assert page.get_by_test_id("note").is_visible()
    offices = page.get_by_test_id("offices").locator("li")
    names = [offices.nth(i).locator("strong").inner_text() for i in range(offices.count())]
    assert names and len(names) == len(set(names))
    no_sideways_scroll(page)
    screenshot(page, f"mein-ort-report-{name}")
    svg.scroll_into_view_if_needed()
    screenshot(page, f"mein-ort-map-{name}")
    assert axe_violations(page) == []

    page.get_by_test_id("print-link").click()
    page.locator("body.print-view").wait_for()
    assert not page.locator(".topbar").is_visible()
    assert page.get_by_role("button", name="Drucken").is_visible()
    no_sideways_scroll(page)
    screenshot(page, f"mein-ort-print-{name}")
    assert page.hosts == {map_server.split("/")[2]}  # nothing from any other host


def test_address_form_on_mein_ort(device: tuple[str, Any], map_server: str) -> None:
    name, page = device
    page.goto(f"{map_server}/mein-ort")
    field = page.locator("#adresse")
    field.fill("Muehlenweg 3")
    field.press("Enter")
    heading = page.get_by_role("heading", level=1)
    heading.wait_for()
    assert heading.inner_text().startswith("Mein Ort: Mühlenweg 3, ")
    with page.expect_download() as download:
        page.get_by_test_id("pdf-link").click()
    pdf = download.value
    assert pdf.suggested_filename == "mein-ort.pdf"
    assert Path(pdf.path()).read_bytes()[:5] == b"%PDF-"
    screenshot(page, f"mein-ort-form-result-{name}")
