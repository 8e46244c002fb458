"""The map's search box when every search slot is taken (503), in Debian's Chromium.

A search that finds the slots busy waits up to ``search_wait_s`` (3 s) and gets a 503; the
page then tries once more after a moment and shows results if a slot has freed, else the
server's message in the page's language. Desktop and phone screenshots of the message.
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
def slot_held(engine: Engine, seconds: float) -> Iterator[None]:
    """Another search holds the only slot for ``seconds`` (from a thread of its own)."""
    from buergergis.web import gate

    taken, done = threading.Event(), threading.Event()

    def hold() -> None:
        with engine.connect() as conn, gate.SEARCH.enter(conn, 1, 8, 1.0):
            taken.set()
            done.wait(seconds)

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(10)
    try:
        yield
    finally:
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
    with slot_held(engine, 4.0):  # the first try waits 3 s → 503; the retry 1.5 s later passes
        search(page, map_server, "Osterstraße 2")
        page.locator("#search-results .result").first.wait_for(timeout=15000)
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
    with slot_held(engine, 12.0):  # both tries of both pages end in a 503
        for page in pages.values():
            search(page, map_server, "Osterstraße 2", lang)
        for name, page in pages.items():
            results = page.locator("#search-results")
            results.get_by_text(message).wait_for(timeout=15000)
            screenshot(page, f"search-busy-{lang}-{name}")
    for page in pages.values():  # free again: the next search finds the address
        page.locator("#search-form button[type=submit]").click()
        page.locator("#search-results .result").first.wait_for(timeout=15000)
