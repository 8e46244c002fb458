"""axe-core on every citizen page of issue 10 (desktop and phone): no serious or critical
violation on /, /embed, the list pages, /holzverkauf, /dienste/…, Mein Ort and the /ogc pages,
in German and English, and with an office popup open as a bottom sheet."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.maps_support import ARTIFACTS, axe_violations, screenshot, wait_ready

pytestmark = pytest.mark.browser

POINT = "lat=52.1035&lon=9.3575"
MAPS = [
    "/",
    "/?lang=en",
    "/embed?layers=kitas,holzverkauf,ortsteile",
    "/embed?layers=buergeramt&lang=en",
]
PAGES = [
    "/liste/holzverkauf",
    "/liste/buergeramt?lang=en",
    "/holzverkauf",
    "/holzverkauf?lang=en",
    "/dienste",
    "/dienste/buergeramt",
    f"/dienste/buergeramt?{POINT}&lang=en",
    "/dienste/kitas",
    "/dienste/fahrzeugverkauf?lang=en",
    "/mein-ort",
    f"/mein-ort?{POINT}",
    f"/mein-ort?{POINT}&lang=en&druck=1",
    "/ogc/?f=html",
    "/ogc/collections/buergeramt?f=html",
    "/ogc/collections/buergeramt/items?f=html",
]
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1366, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}


@pytest.fixture(scope="module", params=list(VIEWPORTS))
def page(request: Any, chromium: Any, demo_layers: list[str]) -> Iterator[Any]:
    ctx = chromium.new_context(**VIEWPORTS[request.param])
    p = ctx.new_page()
    p.device = request.param
    yield p
    ctx.close()


def check(page: Any, path: str) -> None:
    violations = axe_violations(page)
    name = f"axe-citizen-{page.device}-" + "".join(c if c.isalnum() else "_" for c in path)
    if violations:
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"{name}.json").write_text(
            json.dumps(violations, indent=2, ensure_ascii=False)
        )
    assert violations == [], json.dumps(violations, indent=1, ensure_ascii=False)[:4000]


@pytest.mark.parametrize("path", MAPS)
def test_maps(page: Any, map_server: str, path: str) -> None:
    page.goto(map_server + path)
    wait_ready(page)
    check(page, path)


@pytest.mark.parametrize("path", PAGES)
def test_pages(page: Any, map_server: str, path: str) -> None:
    page.goto(map_server + path)
    page.wait_for_load_state("load")
    check(page, path)
    if "lang=en" in path:  # section 4: the English pages, kept as artefacts
        slug = "".join(c if c.isalnum() else "-" for c in path.split("?")[0].strip("/"))
        screenshot(page, f"english-{slug}-{page.device}")


def test_office_popup_open(page: Any, map_server: str) -> None:
    page.goto(f"{map_server}/?layers=buergeramt&lang=en")
    wait_ready(page)
    page.locator(".leaflet-marker-icon[tabindex='0']").first.focus()
    page.keyboard.press("Enter")
    page.locator(".bgis-popup .week-table").wait_for()
    check(page, "popup")
    screenshot(page, f"a11y-popup-{page.device}")


def test_error_page(page: Any, chromium: Any, map_server: str) -> None:
    """The error page allows no script at all (CSP default-src 'none'): axe runs with the CSP
    bypassed in a context of its own."""
    ctx = chromium.new_context(bypass_csp=True, **VIEWPORTS[page.device])
    try:
        p = ctx.new_page()
        p.device = page.device
        response = p.goto(f"{map_server}/dienste/gibt-es-nicht?lang=en")
        assert response.status == 404
        assert p.locator("h1").inner_text() == "Not found"
        check(p, "/dienste/gibt-es-nicht?lang=en")
        screenshot(p, f"error-page-en-{page.device}")
    finally:
        ctx.close()
