"""The city map by keyboard (issue 10, section 3): search, layer switcher, zoom, "Was gilt hier?"
and locate within a few Tab presses from the top; markers are one roving tab stop."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.maps_support import screenshot, wait_for, wait_ready

pytestmark = pytest.mark.browser

#: What each control is, as a JS test on document.activeElement.
TARGETS = {
    "search": "a.id === 'search-q'",
    "map": "a.classList.contains('bgis-map')",
    "layers": "a.matches('input[data-layer]')",
    "zoom": "a.classList.contains('leaflet-control-zoom-in')",
    "my_place": "a.classList.contains('bgis-place-button')",
    "locate": "!!a.closest('.leaflet-control-locate')",
    "marker": "a.classList.contains('leaflet-marker-icon')",
}
#: "A few" presses (before: 102–106 to zoom): skip links, the header's buttons, search,
#: nearest, the map itself, then its controls right after it; the layer list follows the map.
FEW = 20
AFTER_MAP = 8
LAYERS = 25


@pytest.fixture()
def page(chromium: Any, demo_layers: list[str]) -> Iterator[Any]:
    ctx = chromium.new_context(viewport={"width": 1366, "height": 800})
    yield ctx.new_page()
    ctx.close()


def presses_until(page: Any, limit: int = 200) -> dict[str, int]:
    """Tab from the top of the page; the press count at which each target is first focused."""
    found: dict[str, int] = {}
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.evaluate("window.scrollTo(0, 0)")
    check = "{" + ", ".join(f"{k}: {v}" for k, v in TARGETS.items()) + "}"
    for press in range(1, limit + 1):
        page.keyboard.press("Tab")
        hits = page.evaluate(f"(() => {{ const a = document.activeElement; return {check}; }})()")
        for name, hit in hits.items():
            if hit and name not in found:
                found[name] = press
        if len(found) == len(TARGETS):
            break
    return found


def test_controls_are_a_few_tab_presses_from_the_top(page: Any, map_server: str) -> None:
    page.goto(f"{map_server}/?layers=kitas,buergeramt,holzverkauf")
    wait_ready(page)
    found = presses_until(page)
    assert found["search"] <= 10, found
    for name in ("zoom", "my_place", "locate"):
        assert found.get(name, 999) <= min(FEW, found["map"] + AFTER_MAP), (name, found)
    assert (
        found["search"] < found["map"] < found["zoom"] < found["marker"] < found["layers"] <= LAYERS
    ), found
    markers = page.locator(".leaflet-marker-icon").count()
    stops = page.evaluate(
        "document.querySelectorAll('.leaflet-marker-icon[tabindex=\"0\"]').length"
    )
    assert markers > 5 and stops == 1, (markers, stops)
    screenshot(page, "keyboard-controls-desktop")
    # the second skip link jumps to the layer list: one more Tab is its first checkbox
    page.reload()
    wait_ready(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.matches('input[data-layer]')")


def test_markers_are_reached_by_arrow_keys_and_open_with_enter(page: Any, map_server: str) -> None:
    page.goto(f"{map_server}/?layers=buergeramt&center=52.1037,9.3563&zoom=13")
    wait_ready(page)
    page.locator(".leaflet-marker-icon[tabindex='0']").first.focus()
    page.evaluate("window.__first = document.activeElement")
    page.keyboard.press("ArrowRight")
    assert page.evaluate(
        "document.activeElement !== window.__first"
        " && document.activeElement.classList.contains('leaflet-marker-icon')"
    )
    assert page.evaluate("document.activeElement.getAttribute('tabindex')") == "0"
    assert (
        page.evaluate("document.querySelectorAll('.leaflet-marker-icon[tabindex=\"0\"]').length")
        == 1
    )
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("document.activeElement === window.__first")
    page.keyboard.press("Enter")
    page.locator(".bgis-popup").wait_for()
    wait_for(page, "document.activeElement.classList.contains('bgis-popup')")
    screenshot(page, "keyboard-marker-desktop")
    page.keyboard.press("Escape")
    wait_for(page, "!document.querySelector('.leaflet-popup')")
    assert page.evaluate("document.activeElement === window.__first")


def test_phone_controls_by_keyboard(chromium: Any, map_server: str, demo_layers: list[str]) -> None:
    ctx = chromium.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    try:
        p = ctx.new_page()
        p.goto(f"{map_server}/?layers=kitas,buergeramt")
        wait_ready(p)
        found = presses_until(p)
        for name in ("zoom", "my_place", "locate"):
            assert found.get(name, 999) <= min(FEW, found["map"] + AFTER_MAP), (name, found)
        screenshot(p, "keyboard-controls-phone")
    finally:
        ctx.close()
