"""The embed in Chromium: cold-cache budget, cross-origin iframe, frame-ancestors, no scroll
trap, "Große Karte öffnen" and the embed builder."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from sqlalchemy import Engine

from buergergis import create_app
from buergergis.settings import Settings
from tests.maps_support import (
    ARTIFACTS,
    PROBE_ID,
    PageLog,
    load_probe_layer,
    screenshot,
    serve,
    wait_for,
    wait_ready,
)

pytestmark = pytest.mark.browser
BUDGET = 250_000
EMBED = "/embed?layers=kitas,buergeramt&center=52.1037,9.3563&zoom=13"


@pytest.fixture(scope="module")
def data(engine: Engine, settings: Settings, demo_layers: list[str]) -> list[str]:
    load_probe_layer(engine, settings)
    return [*demo_layers, PROBE_ID]


@pytest.fixture()
def context(chromium: Any, data: list[str]) -> Iterator[Any]:
    """A fresh context per test: a cold cache, no cookies."""
    ctx = chromium.new_context(viewport={"width": 1000, "height": 800})
    yield ctx
    ctx.close()


def host_url(other_origin: str, map_server: str, embed: str = EMBED) -> str:
    return f"{other_origin}/host?src={quote(map_server + embed, safe='')}"


def test_embed_is_small_with_a_cold_cache(context: Any, map_server: str, other_origin: str) -> None:
    page = context.new_page()
    log = PageLog(page)
    page.goto(map_server + EMBED)
    wait_ready(page)
    page.wait_for_load_state("networkidle")
    own = {u: n for u, n in log.bytes.items() if u.startswith(map_server)}
    total = sum(own.values())
    metrics = {
        "bytes_from_service": total,
        "requests_to_service": len(own),
        "basemap_tile_requests": sum(1 for u in log.urls if u.startswith(other_origin)),
        "ready_ms_after_navigation_start": round(page.evaluate("BGIS.readyAt"), 1),
        "largest": sorted(own.items(), key=lambda kv: -kv[1])[:5],
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "embed-metrics.json").write_text(json.dumps(metrics, indent=2))
    print("embed metrics:", json.dumps(metrics))
    assert log.origins() <= {map_server, other_origin}
    assert total < BUDGET, metrics
    for heavy in (
        "jquery",
        "bootstrap",
        "fontawesome/css",
        "maplibre",
        "locatecontrol",
        "fullscreen",
    ):
        assert not any(heavy in u for u in own), heavy
    assert log.errors == []
    screenshot(page, "embed")


def test_embed_works_in_an_iframe_of_another_origin(
    context: Any, map_server: str, other_origin: str
) -> None:
    page = context.new_page()
    log = PageLog(page)
    page.goto(host_url(other_origin, map_server))
    frame = page.frame_locator("#embed")
    frame.locator("html[data-map-ready='true']").wait_for(state="attached")
    assert frame.locator(".bgis-marker").count() > 0
    link = frame.get_by_role("link", name="Große Karte öffnen")
    assert link.get_attribute("target") == "_blank"
    inner = next(f for f in page.frames if f.url.startswith(map_server))
    inner.evaluate("BGIS.map.setView([52.11, 9.37], 15, {animate: false})")
    with page.expect_popup() as popup_info:
        link.click()
    big = popup_info.value
    wait_ready(big)
    params = parse_qs(urlsplit(big.url).query)
    assert big.url.startswith(map_server + "/?")
    assert params["center"] == ["52.11000,9.37000"] and params["zoom"] == ["15"]
    assert params["layers"] == ["kitas,buergeramt"]
    assert big.evaluate("BGIS.visibleIds()") == ["kitas", "buergeramt"]
    assert log.errors == []
    screenshot(page, "embed-in-host-page")


def test_other_origins_may_not_frame_the_embed(
    context: Any, map_server: str, other_origin: str
) -> None:
    page = context.new_page()
    log = PageLog(page)
    foreign = other_origin.replace("127.0.0.1", "localhost")  # same server, another origin
    page.goto(host_url(foreign, map_server))
    page.wait_for_load_state("load")
    wait_for(page, "true")
    assert any("frame-ancestors" in e for e in log.errors), log.errors
    frames = [f for f in page.frames if f != page.main_frame]
    assert not any(f.url.startswith(map_server) and f.evaluate("!!window.BGIS") for f in frames)


def test_embed_does_not_trap_page_scrolling(
    context: Any, map_server: str, other_origin: str
) -> None:
    page = context.new_page()
    page.goto(host_url(other_origin, map_server))
    page.frame_locator("#embed").locator("html[data-map-ready='true']").wait_for(state="attached")
    inner = next(f for f in page.frames if f.url.startswith(map_server))
    page.evaluate("window.scrollTo(0, 300)")
    box = page.locator("#embed").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    zoom = inner.evaluate("BGIS.map.getZoom()")
    page.mouse.wheel(0, 400)
    wait_for(page, "window.scrollY > 300")
    assert inner.evaluate("BGIS.map.getZoom()") == zoom


def test_map_works_when_the_basemap_is_unreachable(
    chromium: Any, settings: Settings, data: list[str]
) -> None:
    config = {
        "database_url": settings.database_url,
        "var_dir": settings.var,
        "secret_key": "test-secret",
        "basemap_url": "http://127.0.0.1:9/{z}/{x}/{y}.png",  # nothing listens on port 9
    }
    ctx = chromium.new_context()
    try:
        with serve(lambda url: create_app({**config, "public_url": url})) as url:
            page = ctx.new_page()
            page.goto(url + EMBED)
            wait_ready(page)
            assert page.evaluate("BGIS.layers.kitas.count") == 30
            assert page.evaluate("BGIS.errors") == []
            assert page.locator(".leaflet-tile").count() > 0  # the basemap was tried
    finally:
        ctx.close()


def test_embed_builder_previews_and_copies_the_snippet(
    chromium: Any, map_server: str, data: list[str]
) -> None:
    ctx = chromium.new_context(
        viewport={"width": 1280, "height": 900}, permissions=["clipboard-read", "clipboard-write"]
    )
    try:
        page = ctx.new_page()
        log = PageLog(page)
        page.goto(map_server + "/embed/builder?layers=kitas")
        page.frame_locator("#preview").locator("html[data-map-ready='true']").wait_for(
            state="attached"
        )
        centre = page.get_by_label("Mitte (Breite, Länge)")
        wait_for(page, "document.getElementById('b-center').value !== ''")
        lat, lon = (float(v) for v in centre.input_value().split(","))
        assert 52.0 < lat < 52.2 and 9.2 < lon < 9.5
        page.get_by_label("Bürgerbüros und Servicestellen").check()
        snippet = page.locator("#snippet")
        wait_for(page, "document.getElementById('snippet').value.includes('buergeramt')")
        assert snippet.input_value().startswith(
            f'<iframe src="{map_server}/embed?layers=kitas,buergeramt&amp;center='
        )
        page.frame_locator("#preview").locator("html[data-map-ready='true']").wait_for(
            state="attached"
        )
        wait_for(page, "document.getElementById('preview').src.includes('buergeramt')")
        page.get_by_role("button", name="Kopieren").click()
        page.get_by_text("Kopiert.").wait_for()
        assert page.evaluate("navigator.clipboard.readText()") == snippet.input_value()
        assert log.errors == []
        screenshot(page, "embed-builder")
    finally:
        ctx.close()
