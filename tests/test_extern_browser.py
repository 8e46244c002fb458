"""External layers in Debian's Chromium: the flood zone of the test authority (a real
MapServer WMS on 127.0.0.2) on the city map, desktop and phone, its legend, "Dienst nicht
erreichbar" for a service that is down, „Was gilt hier?“ — and not one browser request to the
authority's host. Screenshots: ``test-artifacts/extern-*.png``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from buergergis import create_app
from buergergis.settings import Settings
from tests.extern_support import DOWN, FLOOD, extern_config
from tests.maps_support import axe_violations, screenshot, serve, wait_for, wait_ready
from tests.upstream_support import HOST, INSIDE, Upstream, upstream_wms

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_layers")]

VIEWPORTS = {
    "desktop": {"viewport": {"width": 1366, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
LON, LAT = INSIDE
VIEW = f"center={LAT},{LON}&zoom=14"
#: Tiles of a layer that have arrived in the map (an <img> with pixels).
LOADED = (
    "Array.from(document.querySelectorAll('img.leaflet-tile-loaded'))"
    ".filter(function (i) {{ return i.src.indexOf('/extern/{layer}/') >= 0 && i.naturalWidth > 0; }})"
    ".length"
)


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Upstream]:
    with upstream_wms(tmp_path_factory.mktemp("upstream-browser"), delay_s=8.0) as running:
        yield running


@pytest.fixture(scope="module")
def site(
    settings: Settings,
    upstream: Upstream,
    other_origin: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    root = tmp_path_factory.mktemp("extern-browser")

    def factory(url: str) -> Flask:
        config = extern_config(settings, root, upstream)
        config |= {"public_url": url, "basemap_url": f"{other_origin}/tiles/{{z}}/{{x}}/{{y}}.png",
                   "basemap_attribution": "Testkarte"}  # fmt: skip
        return create_app(config)

    with serve(factory) as url:
        yield url


@pytest.fixture(params=sorted(VIEWPORTS))
def device(request: pytest.FixtureRequest, chromium: Any) -> Iterator[tuple[str, Any]]:
    ctx = chromium.new_context(locale="de-DE", **VIEWPORTS[request.param])
    page = ctx.new_page()
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    page.seen = seen
    try:
        yield request.param, page
    finally:
        ctx.close()


def assert_private(page: Any, upstream: Upstream) -> None:
    """No request of the browser went to the authority's host."""
    hosts = {urlsplit(u).hostname for u in page.seen if u.startswith("http")}
    assert HOST not in hosts and upstream.netloc not in " ".join(page.seen), hosts


def test_flood_zone_on_the_map_without_contacting_the_authority(
    device: tuple[str, Any], site: str, upstream: Upstream
) -> None:
    name, page = device
    page.goto(f"{site}/?layers={FLOOD}&{VIEW}")
    wait_ready(page)
    assert wait_for(page, LOADED.format(layer=FLOOD)) > 0
    if name == "desktop":  # the layer list with the legend is open beside the map
        legend = page.locator(f"img.legend-extern[data-legend='{FLOOD}']")
        assert legend.count() == 1
        legend.scroll_into_view_if_needed()
        wait_for(
            page,
            f"document.querySelector(\"img.legend-extern[data-legend='{FLOOD}']\").naturalWidth",
        )
    page.wait_for_timeout(300)
    screenshot(page, f"extern-{name}")
    assert axe_violations(page) == []
    assert_private(page, upstream)
    assert any(f"/extern/{FLOOD}/14/" in u for u in page.seen)


def test_service_down_shows_the_notice_and_the_rest_works(
    chromium: Any, site: str, upstream: Upstream
) -> None:
    ctx = chromium.new_context(locale="de-DE", **VIEWPORTS["desktop"])
    page = ctx.new_page()
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    page.seen = seen
    notices: list[str] = []
    page.on("response", lambda r: notices.append(r.url)
            if r.headers.get("x-extern-status") == "nicht-erreichbar" else None)  # fmt: skip
    try:
        page.goto(f"{site}/?layers={DOWN},{FLOOD}&{VIEW}")
        wait_ready(page)
        assert wait_for(page, LOADED.format(layer=DOWN)) > 0
        assert wait_for(page, LOADED.format(layer=FLOOD)) > 0
        assert notices and all(f"/extern/{DOWN}/" in u for u in notices)
        down = page.locator(f"[data-extern-status='{DOWN}']")
        down.wait_for(state="visible")
        assert down.inner_text() == "Ausgefallener Dienst: Dienst nicht erreichbar"
        assert page.locator(f"[data-extern-status='{FLOOD}']").is_hidden()
        down.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        screenshot(page, "extern-desktop-ausfall")
        assert_private(page, upstream)
    finally:
        ctx.close()


def test_was_gilt_hier_names_the_flood_zone(chromium: Any, site: str, upstream: Upstream) -> None:
    ctx = chromium.new_context(locale="de-DE", **VIEWPORTS["phone"])
    page = ctx.new_page()
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    page.seen = seen
    try:
        page.goto(f"{site}/?layers={FLOOD}&{VIEW}")
        wait_ready(page)
        page.get_by_role("button", name="Was gilt hier?").click()
        page.locator("a.bgis-place-centre").click()  # "Kartenmitte nehmen": the Weser
        page.wait_for_url("**/mein-ort?**")
        item = page.locator(f"[data-testid='extern'] li[data-layer='{FLOOD}']")
        assert "liegt im festgesetzten Überschwemmungsgebiet der Weser" in item.inner_text()
        item.scroll_into_view_if_needed()
        screenshot(page, "extern-phone-mein-ort")
        assert_private(page, upstream)
    finally:
        ctx.close()
