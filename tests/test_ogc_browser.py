"""The HTML pages in a real browser (Debian's Chromium via Playwright): map, table, paging."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def page(chromium, live_server: str, ogc_layers: list[str]) -> Iterator:
    """A Chromium page (shared session browser) that records every request leaving the server."""
    context = chromium.new_context()
    tab = context.new_page()
    tab.external = []  # type: ignore[attr-defined]

    def _route(route) -> None:
        if urlsplit(route.request.url).netloc == urlsplit(live_server).netloc:
            route.continue_()
        else:
            tab.external.append(route.request.url)  # type: ignore[attr-defined]
            route.abort()

    tab.route("**/*", _route)
    yield tab
    context.close()


def test_items_page_shows_map_table_and_pages(page, live_server: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/ogc/collections/messpunkte/items?f=html&limit=50")
    page.wait_for_selector("#ogc-map .leaflet-interactive")
    assert page.locator("#ogc-map .leaflet-interactive").count() == 50
    assert page.locator("table tbody tr").count() == 50
    first = page.locator("table tbody tr td a").first.inner_text()
    page.click("a[rel=next]")
    page.wait_for_selector("#ogc-map .leaflet-interactive")
    assert page.locator("table tbody tr td a").first.inner_text() != first
    assert "cursor=" in page.url and not errors


def test_filter_form_and_feature_page(page, live_server: str) -> None:
    page.goto(f"{live_server}/ogc/collections/buergeraemter/items?f=html")
    page.fill("#filter", "ACCENTI(CASEI(name)) LIKE '%muhle%'")
    page.click("button[type=submit]")
    page.wait_for_selector("table tbody tr")
    assert page.locator("table tbody tr").count() == 3
    page.locator("table tbody tr td a").first.click()
    page.wait_for_selector("#ogc-map .leaflet-interactive")
    assert "Stadtmühle" in page.locator("main").inner_text()


def test_only_the_basemap_is_external(page, live_server: str) -> None:
    for path in ("/ogc/?f=html", "/ogc/collections?f=html", "/ogc/collections/baustellen?f=html"):
        page.goto(live_server + path, wait_until="networkidle")
    page.goto(live_server + "/ogc/api?f=html", wait_until="networkidle")
    page.wait_for_selector(".swagger-ui .opblock")
    assert page.locator(".swagger-ui .opblock").count() > 10
    hosts = {urlsplit(url).netloc for url in page.external}
    assert hosts <= {"sgx.geodatenzentrum.de"}, hosts


def test_pages_work_under_their_content_security_policy(page, live_server: str) -> None:
    """Map, table and Swagger UI run with the CSP the pages send; the browser reports no
    violation (inline scripts are allowed by their hash only)."""
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    response = page.goto(f"{live_server}/ogc/collections/messpunkte/items?f=html&limit=50")
    assert "sha256-" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    page.wait_for_selector("#ogc-map .leaflet-interactive")
    page.click("button[type=submit]")  # the form with an empty filter
    page.wait_for_selector("#ogc-map .leaflet-interactive")
    assert page.locator("table tbody tr").count() == 50
    page.goto(f"{live_server}/ogc/collections/buergeraemter/items/1?f=html")
    page.wait_for_selector("#ogc-map .leaflet-interactive")
    page.goto(f"{live_server}/ogc/api?f=html", wait_until="networkidle")
    page.wait_for_selector(".swagger-ui .opblock")
    assert not violations, violations
