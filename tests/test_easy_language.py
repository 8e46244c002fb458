"""Leichte Sprache (issue 16, section 4): a layer definition carries a plain-language text
(``description_easy`` / ``description_easy_en``), shown behind a toggle in the layer details of
the map and on the list page; the demo layers Bürgeramt, Kitas and Holzverkauf have one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask.testing import FlaskClient

from buergergis.catalog.parse import parse_definition
from buergergis.errors import DefinitionError
from buergergis.maps.layers import easy_lines
from tests.maps_support import DESKTOP, PHONE, axe_violations, screenshot, wait_ready

ROOT = Path(__file__).resolve().parents[1]
EASY = ("buergeramt", "kitas", "holzverkauf")
MINIMAL = {"id": "kitas", "title": "Kitas", "source": {"path": "data/kitas.gpkg"}}


def easy_block(html: str, layer_id: str) -> str | None:
    found = re.search(
        rf'<details class="easy-language" data-easy="{layer_id}">(.*?)</details>', html, re.S
    )
    return found.group(1) if found else None


def test_demo_layers_have_plain_language_in_both_languages() -> None:
    for layer_id in EASY:
        data = yaml.safe_load((ROOT / "layers" / f"{layer_id}.yaml").read_text(encoding="utf-8"))
        definition = parse_definition(data, f"{layer_id}.yaml")
        for text in (definition.description_easy, definition.description_easy_en):
            lines = easy_lines(text)
            assert len(lines) >= 5, layer_id
            # Leichte Sprache: short sentences, one per line
            assert all(len(line.split()) <= 12 for line in lines), (layer_id, lines)


def test_definition_field_is_checked() -> None:
    definition = parse_definition({**MINIMAL, "description_easy": "Satz eins.\n\n Satz zwei. "})
    assert easy_lines(definition.description_easy) == ("Satz eins.", "Satz zwei.")
    assert easy_lines(None) == ()
    with pytest.raises(DefinitionError):
        parse_definition({**MINIMAL, "description_easy": "x" * 3001})
    with pytest.raises(DefinitionError):
        parse_definition({**MINIMAL, "description_easy_en": ["not", "text"]})


@pytest.mark.usefixtures("demo_layers")
def test_map_details_show_the_toggle_for_layers_that_have_one(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    for layer_id in EASY:
        block = easy_block(html, layer_id)
        assert block is not None, layer_id
        assert "<summary>" in block and "Leichte Sprache" in block
    assert "Ein Teil heißt: Los.</p>" in easy_block(html, "holzverkauf")  # type: ignore[operator]
    assert easy_block(html, "ortsteile") is None
    english = client.get("/?lang=en").get_data(as_text=True)
    block = easy_block(english, "kitas")
    assert block is not None and "Easy read" in block
    assert "<p>Children are looked after there during the day.</p>" in block
    assert "Kinder-Tages-Stätte" not in block


@pytest.mark.usefixtures("demo_layers")
def test_list_page_shows_the_toggle(client: FlaskClient) -> None:
    html = client.get("/liste/buergeramt").get_data(as_text=True)
    block = easy_block(html, "buergeramt")
    assert block is not None
    assert "<p>Die Adresse ist: Rathausplatz 1 in Hameln.</p>" in block
    assert html.index('class="lead"') < html.index('class="easy-language"')
    assert easy_block(client.get("/liste/ortsteile").get_data(as_text=True), "ortsteile") is None


# ---- Chromium: the toggle by keyboard, desktop and phone -----------------------------------


@pytest.fixture(params=["desktop", "phone"])
def device(request: pytest.FixtureRequest, chromium: Any) -> Iterator[tuple[str, Any]]:
    ctx = chromium.new_context(**(DESKTOP if request.param == "desktop" else PHONE))
    yield request.param, ctx.new_page()
    ctx.close()


@pytest.mark.browser
@pytest.mark.usefixtures("demo_layers")
def test_list_page_toggle_by_keyboard(map_server: str, device: tuple[str, Any]) -> None:
    name, page = device
    page.goto(f"{map_server}/liste/holzverkauf")
    text = page.locator(".easy-language .easy-text")
    assert not text.is_visible()
    page.locator(".easy-language summary").focus()
    page.keyboard.press("Enter")
    assert text.is_visible()
    assert "Brenn-Holz ist Holz für den Ofen." in text.inner_text()
    screenshot(page, f"easy-language-list-{name}")
    assert axe_violations(page) == []
    page.keyboard.press("Enter")
    assert not text.is_visible()


@pytest.mark.browser
@pytest.mark.usefixtures("demo_layers")
def test_map_layer_details_toggle(map_server: str, device: tuple[str, Any]) -> None:
    name, page = device
    page.goto(f"{map_server}/?lang=en")
    wait_ready(page)
    if name == "phone":  # the layer panel is behind "Layers and search" on a phone
        toggle = page.locator("#panel-toggle")
        if toggle.get_attribute("aria-expanded") == "false":
            toggle.tap()
    item = page.locator("li.layer", has=page.locator("#layer-kitas"))
    item.locator("details.layer-info > summary").click()
    easy = item.locator(".easy-language")
    easy.locator("summary").click()
    text = easy.locator(".easy-text")
    text.scroll_into_view_if_needed()
    assert text.is_visible()
    assert "They play and learn there." in text.inner_text()
    screenshot(page, f"easy-language-map-{name}")
