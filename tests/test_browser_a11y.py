"""Accessibility (BITV 2.0 / WCAG 2.1 AA) with axe-core in Chromium, and the list pages by keyboard."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from buergergis.settings import Settings
from tests.maps_support import (
    ARTIFACTS,
    PROBE_ID,
    PageLog,
    axe_violations,
    load_probe_layer,
    screenshot,
    wait_for,
    wait_ready,
)

pytestmark = pytest.mark.browser

MAP_PAGES = [
    "/",
    "/?lang=en",
    "/embed?layers=kitas,holzverkauf,ortsteile",
    "/embed/builder?layers=kitas",
]
OTHER_PAGES = [
    "/liste/kitas",
    f"/liste/{PROBE_ID}?lang=en",
    "/liste/flurstuecke?page=3",
    "/search?q=Kita&f=html",
    "/ogc/?f=html",
    "/ogc/collections?f=html",
    "/ogc/collections/kitas?f=html",
    "/ogc/collections/kitas/items?f=html",
    "/ogc/collections/kitas/items/staedtische-kita-rattenfaenger?f=html",
]


@pytest.fixture(scope="module")
def page(
    chromium: Any, map_server: str, engine: Engine, settings: Settings, demo_layers: list[str]
) -> Iterator[Any]:
    load_probe_layer(engine, settings)
    ctx = chromium.new_context(viewport={"width": 1280, "height": 800})
    p = ctx.new_page()
    p.log = PageLog(p)
    yield p
    ctx.close()


def check(page: Any, name: str) -> None:
    violations = axe_violations(page)
    if violations:
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"axe-{name}.json").write_text(
            json.dumps(violations, indent=2, ensure_ascii=False)
        )
    assert violations == [], json.dumps(violations, indent=1, ensure_ascii=False)


@pytest.mark.parametrize("path", MAP_PAGES)
def test_map_pages_have_no_serious_axe_violations(page: Any, map_server: str, path: str) -> None:
    page.goto(map_server + path)
    if "builder" in path:
        page.frame_locator("#preview").locator("html[data-map-ready='true']").wait_for(
            state="attached"
        )
    else:
        wait_ready(page)
    check(page, path.strip("/").replace("/", "_").replace("?", "_") or "map")


def test_map_with_open_popup_and_details_has_no_serious_axe_violations(
    page: Any, map_server: str
) -> None:
    page.goto(
        f"{map_server}/?layers={PROBE_ID},kitas&center=52.1035,9.3571&zoom=17&feature={PROBE_ID}:p1"
    )
    wait_ready(page)
    page.locator(".bgis-popup").wait_for()
    for details in page.locator("details.layer-info").all()[:3]:
        details.locator("summary").click()
    page.get_by_label("Adresse, Name oder Einrichtung").fill("Kita")
    page.get_by_role("button", name="Suchen", exact=True).click()
    page.locator("#search-results .result").first.wait_for()
    check(page, "map-popup")


@pytest.mark.parametrize("path", OTHER_PAGES)
def test_list_search_and_ogc_pages_have_no_serious_axe_violations(
    page: Any, map_server: str, path: str
) -> None:
    response = page.goto(map_server + path)
    assert response.status == 200
    page.wait_for_load_state("load")
    check(page, path.strip("/").replace("/", "_").replace("?", "_"))


def test_zooming_is_never_disabled(page: Any, map_server: str) -> None:
    for path in ("/", "/embed?layers=kitas", "/liste/kitas", "/ogc/?f=html"):
        page.goto(map_server + path)
        viewport = page.locator("meta[name=viewport]").get_attribute("content")
        assert "user-scalable" not in viewport and "maximum-scale" not in viewport, (path, viewport)


def test_list_page_sorts_and_filters_by_keyboard(page: Any, map_server: str) -> None:
    page.log.errors.clear()
    page.goto(f"{map_server}/liste/{PROBE_ID}")
    first_col = page.locator("thead th").first
    assert first_col.get_attribute("aria-sort") is None
    page.get_by_role("button", name="Name").focus()
    page.keyboard.press("Enter")
    wait_for(page, "document.querySelector('thead th').getAttribute('aria-sort') === 'ascending'")
    names = [n for n in page.locator("tbody th").all_inner_texts() if not n.startswith("<")]
    assert names == [
        "Ärztehaus Nord",
        "apotheke am markt",
        "Crème Brûlée Bistro",
        "Grüße aus Hameln",
        "Zahnarzt Süd",
    ]
    assert (
        "sort=name" in page.url
        and page.evaluate("document.activeElement.textContent.trim()") == "Name"
    )
    page.keyboard.press("Enter")
    wait_for(page, "document.querySelector('thead th').getAttribute('aria-sort') === 'descending'")
    assert page.locator("tbody th").first.inner_text() == "Zahnarzt Süd"
    page.get_by_label("Tabelle filtern").fill("mühle")
    wait_for(page, "document.getElementById('table-count').textContent.includes('2 von 6')")
    visible = [
        t
        for t, v in zip(
            page.locator("tbody th").all_inner_texts(),
            page.locator("tbody tr").evaluate_all("rs => rs.map(r => !r.hidden)"),
            strict=True,
        )
        if v
    ]
    assert sorted(visible) == sorted(
        ["Grüße aus Hameln", "<script>window.__xss=1</script>Café Ölmühle"]
    )
    assert page.evaluate("window.__xss === undefined")
    assert page.log.errors == []
    screenshot(page, "list-filtered")


def test_list_page_works_without_javascript(chromium: Any, map_server: str, page: Any) -> None:
    ctx = chromium.new_context(java_script_enabled=False)
    try:
        p = ctx.new_page()
        p.goto(f"{map_server}/liste/{PROBE_ID}")
        p.get_by_role("button", name="Name").click()
        p.wait_for_url("**sort=name**")
        assert p.locator("thead th").first.get_attribute("aria-sort") == "ascending"
        p.get_by_label("Tabelle filtern").fill("cafe")
        p.get_by_role("button", name="Filtern").click()
        p.wait_for_url("**q=cafe**")
        assert p.locator("tbody th").all_inner_texts() == [
            "<script>window.__xss=1</script>Café Ölmühle"
        ]
        assert "sort=name" in p.url  # the filter keeps the sort order
    finally:
        ctx.close()
