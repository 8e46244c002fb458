"""The map's search box when every search slot is taken (503), in Debian's Chromium.

A search that finds the slots busy waits up to ``search_wait_s`` (3 s) and gets a 503; the
page then tries once more after a moment and shows results if a slot has freed, else the
server's message in the page's language. The slot is held by another connection until the
test has seen what it waits for (no timing guesses). Desktop and phone screenshots.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.maps_support import screenshot, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_layers")]


@contextmanager
def slot_held(engine: Engine) -> Iterator[threading.Event]:
    """Another search holds the only slot (from a thread of its own) until the block ends or
    the yielded event is set."""
    from buergergis.web import gate

    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with engine.connect() as conn, gate.SEARCH.enter(conn, 1, 8, 1.0):
            taken.set()
            release.wait(120)

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(10)
    try:
        yield release
    finally:
        release.set()
        holder.join()


def search(page: Any, base: str, query: str, lang: str = "de") -> None:
    page.goto(f"{base}/?lang={lang}")
    wait_ready(page)
    toggle = page.locator("#panel-toggle")  # on a phone the panel starts folded
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    page.locator("#search-q").fill(query)
    page.locator("#search-form button[type=submit]").click()


def test_a_busy_search_retries_once_and_then_shows_results(
    desktop: Any, map_server: str, engine: Engine
) -> None:
    page = desktop.new_page()
    refused: list[int] = []

    def on_response(response: Any) -> None:
        if "/search?" in response.url and response.status == 503:
            refused.append(503)
            release.set()  # the slot frees after the first refusal: the quiet retry passes

    with slot_held(engine) as release:
        page.on("response", on_response)
        search(page, map_server, "Osterstraße 2")
        page.locator("#search-results .result").first.wait_for(timeout=30000)
    assert refused == [503]
    assert "Osterstraße 2" in page.locator("#search-results").inner_text()
    assert "gefragt" not in page.locator("#search-results").inner_text()


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("de", "Die Suche ist gerade stark gefragt. Bitte gleich noch einmal versuchen."),
        ("en", "Search is in high demand right now. Please try again in a moment."),
    ],
)
def test_a_search_busy_twice_says_so_on_desktop_and_phone(
    desktop: Any, phone: Any, map_server: str, engine: Engine, lang: str, message: str
) -> None:
    pages = {"desktop": desktop.new_page(), "phone": phone.new_page()}
    with slot_held(engine):  # both tries of both pages end in a 503
        for page in pages.values():
            search(page, map_server, "Osterstraße 2", lang)
        for name, page in pages.items():
            results = page.locator("#search-results")
            results.get_by_text(message).wait_for(timeout=30000)
            screenshot(page, f"search-busy-{lang}-{name}")
    for page in pages.values():  # free again: the next search finds the address
        page.locator("#search-form button[type=submit]").click()
        page.locator("#search-results .result").first.wait_for(timeout=30000)
