"""Phone and desktop in Chromium (issue 10, sections 2, 3 and 5): bottom-sheet popups with the
weekly opening hours, stacked cards instead of wide tables, attribution beside the scale bar,
embeds that let one finger scroll the host page, and the embed builder's snippet."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import Engine, text

from buergergis.store.sql import layer_view
from tests.maps_support import DESKTOP, PHONE, screenshot, wait_for, wait_ready

pytestmark = pytest.mark.browser

RAW = ("Mo-", "Tu-", "We ", "PH off", "; Sa", "Mo,")


@pytest.fixture(scope="module")
def office(engine: Engine, demo_layers: list[str]) -> str:
    """The fid of a Bürgerbüro with opening hours and a booking link."""
    with engine.connect() as conn:
        return str(
            conn.execute(
                text(
                    f"SELECT fid FROM {layer_view('buergeramt')} "  # noqa: S608
                    "WHERE termin_url IS NOT NULL ORDER BY gid LIMIT 1"
                )
            ).scalar_one()
        )


@pytest.fixture()
def phone(chromium: Any) -> Iterator[Any]:
    ctx = chromium.new_context(**PHONE)
    yield ctx.new_page()
    ctx.close()


@pytest.fixture()
def desktop(chromium: Any) -> Iterator[Any]:
    ctx = chromium.new_context(**DESKTOP)
    yield ctx.new_page()
    ctx.close()


def rect(page: Any, selector: str) -> dict[str, float]:
    return page.evaluate(
        "s => { const r = document.querySelector(s).getBoundingClientRect();"
        " return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; }",
        selector,
    )


def overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (
        a["right"] <= b["left"]
        or b["right"] <= a["left"]
        or a["bottom"] <= b["top"]
        or b["bottom"] <= a["top"]
    )


def open_office(page: Any, base: str, fid: str, lang: str = "") -> None:
    suffix = f"&lang={lang}" if lang else ""
    page.goto(f"{base}/?layers=buergeramt&feature=buergeramt:{quote(fid)}{suffix}")
    wait_ready(page)
    page.locator(".bgis-popup .week-table").wait_for()
    wait_for(page, "getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'")


def test_phone_popup_is_a_bottom_sheet_with_the_week(
    phone: Any, map_server: str, office: str
) -> None:
    open_office(phone, map_server, office)
    sheet = phone.locator(".leaflet-popup.bgis-sheet")
    sheet.wait_for()
    box, height = rect(phone, ".leaflet-popup.bgis-sheet"), 844
    map_box = rect(phone, ".bgis-map")
    assert abs(box["bottom"] - map_box["bottom"]) < 2 and box["left"] <= 1 and box["right"] >= 389
    assert box["top"] > height * 0.3  # the upper part of the map stays visible
    # no control covers the sheet: the close button and the booking button are hit by a tap
    for selector in (".bgis-sheet .leaflet-popup-close-button", ".bgis-sheet .bgis-book"):
        hit = phone.evaluate(
            "s => { const el = document.querySelector(s); el.scrollIntoView({block: 'nearest'});"
            " const r = el.getBoundingClientRect();"
            " const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);"
            " return el === top || el.contains(top); }",
            selector,
        )
        assert hit, selector
    popup = phone.locator(".bgis-popup").inner_text()
    assert "Montag" in popup and "Uhr" in popup and not any(r in popup for r in RAW), popup
    assert phone.locator(".bgis-popup .week-table tr.today").count() == 1
    assert phone.locator(".bgis-book").inner_text() == "Termin vereinbaren"
    phone.locator(".bgis-popup").evaluate("el => el.scrollTop = 0")
    screenshot(phone, "phone-popup-sheet")
    phone.locator(".bgis-sheet .leaflet-popup-close-button").tap()
    wait_for(phone, "!document.querySelector('.leaflet-popup')")


def test_desktop_popup_is_not_cut_off(desktop: Any, map_server: str, office: str) -> None:
    open_office(desktop, map_server, office, "en")
    popup = rect(desktop, ".leaflet-popup")
    map_box = rect(desktop, ".bgis-map")
    assert popup["top"] >= map_box["top"] and popup["bottom"] <= map_box["bottom"] + 1
    assert popup["left"] >= map_box["left"] and popup["right"] <= map_box["right"] + 1
    assert desktop.locator(".leaflet-popup.bgis-sheet").count() == 0
    text_ = desktop.locator(".bgis-popup").inner_text()
    assert "Monday" in text_ and "Montag" not in text_ and not any(r in text_ for r in RAW)
    status = desktop.locator(".bgis-opening").inner_text()
    assert status.startswith(("Open now", "Closed", "Opening hours unknown")), status
    assert desktop.locator(".bgis-book").inner_text() == "Book an appointment"
    screenshot(desktop, "desktop-popup-week")


@pytest.mark.parametrize("path", ["/holzverkauf", "/liste/holzverkauf", "/dienste/kitas"])
def test_wide_tables_become_cards_on_a_phone(
    phone: Any, desktop: Any, map_server: str, demo_layers: list[str], path: str
) -> None:
    phone.goto(map_server + path)
    phone.wait_for_load_state("load")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{path} scrolls sideways ({width}px)"
    rows = phone.locator("table.stack-table tbody tr")
    assert rows.count() > 0
    first = rows.first
    assert first.evaluate("r => getComputedStyle(r).display") == "block"
    for cell in first.locator("td, th").all():
        if cell.is_visible():
            box = cell.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 391, cell.inner_text()
    if path == "/holzverkauf":
        free = phone.locator("tr[data-status='frei']").first
        for label in ("Status", "Preis"):
            assert free.locator(f"td[data-label^='{label}']").first.is_visible(), label
        link = free.locator("a.request-link")
        assert link.is_visible() and link.bounding_box()["x"] + link.bounding_box()["width"] <= 390
    name = path.strip("/").replace("/", "-")
    phone.locator("table.stack-table").evaluate("t => t.scrollIntoView()")
    screenshot(phone, f"phone-cards-{name}")
    desktop.goto(map_server + path)
    assert (
        desktop.locator("table.stack-table tbody tr").first.evaluate(
            "r => getComputedStyle(r).display"
        )
        == "table-row"
    )
    screenshot(desktop, f"desktop-table-{name}")


@pytest.mark.parametrize("path", ["/?layers=kitas", "/embed?layers=kitas"])
def test_attribution_does_not_cover_the_scale_bar(phone: Any, map_server: str, path: str) -> None:
    phone.goto(map_server + path)
    wait_ready(phone)
    scale = rect(phone, ".leaflet-control-scale")
    attribution = rect(phone, ".leaflet-control-attribution")
    assert not overlaps(scale, attribution), (scale, attribution)
    screenshot(phone, "phone-scale-" + ("embed" if "embed" in path else "map"))


def _swipe(page: Any, points: list[tuple[float, float]], dy: float) -> None:
    """A touch swipe with one or more fingers via the DevTools protocol (real touch events)."""
    cdp = page.context.new_cdp_session(page)

    def touch(kind: str, offset: float) -> None:
        pts = [] if kind == "touchEnd" else [{"x": x, "y": y + offset, "id": i}
                                            for i, (x, y) in enumerate(points)]  # fmt: skip
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": pts})

    touch("touchStart", 0)
    for step in range(1, 11):
        touch("touchMove", dy * step / 10)
    touch("touchEnd", dy)
    page.wait_for_timeout(400)


def test_one_finger_scrolls_the_host_page_two_fingers_move_the_map(
    phone: Any, map_server: str, other_origin: str
) -> None:
    src = quote(f"{map_server}/embed?layers=kitas&center=52.1037,9.3563&zoom=13", safe="")
    phone.goto(f"{other_origin}/host?src={src}")
    frame = phone.frame_locator("#embed")
    frame.locator("html[data-map-ready='true']").wait_for(state="attached")
    inner = phone.frames[1]
    assert inner.evaluate("BGIS.map.dragging.enabled()") is False
    assert inner.evaluate("getComputedStyle(BGIS.map.getContainer()).touchAction") in (
        "pan-x pan-y",
        "pan-x pan-y pinch-zoom",
    )
    phone.evaluate("window.scrollTo(0, 300)")
    box = phone.locator("#embed").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    before_center = inner.evaluate("BGIS.map.getCenter().lat")
    before_scroll = phone.evaluate("window.scrollY")
    _swipe(phone, [(x, y + 60)], -150)
    assert phone.evaluate("window.scrollY") > before_scroll + 50  # the host page scrolled
    assert inner.evaluate("BGIS.map.getCenter().lat") == pytest.approx(before_center, abs=1e-9)
    assert "zwei Finger" in inner.locator(".bgis-gesture-hint").inner_text()
    screenshot(phone, "phone-embed-one-finger")
    box = phone.locator("#embed").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    _swipe(phone, [(x - 40, y - 20), (x + 40, y - 20)], 80)
    assert inner.evaluate("BGIS.map.getCenter().lat") != pytest.approx(before_center, abs=1e-6)


def test_big_map_link_does_not_cover_the_map(desktop: Any, phone: Any, map_server: str) -> None:
    for page, name in ((desktop, "desktop"), (phone, "phone")):
        page.goto(f"{map_server}/embed?layers=holzverkauf,kitas")
        wait_ready(page)
        big, map_box = rect(page, ".open-big"), rect(page, ".bgis-map")
        assert big["top"] >= map_box["bottom"] - 1, (big, map_box)
        screenshot(page, f"embed-bar-{name}")


def test_builder_snippet_uses_the_request_host_and_names_the_allowed_sites(
    desktop: Any, map_server: str
) -> None:
    desktop.goto(f"{map_server}/embed/builder")
    desktop.frame_locator("#preview").locator("html[data-map-ready='true']").wait_for(
        state="attached"
    )
    snippet = desktop.locator("#snippet").input_value()
    assert f'src="{map_server}/embed' in snippet and "127.0.0.1:5000" not in snippet
    note = desktop.locator("[data-testid=frame-ancestors]").inner_text()
    assert "frame-ancestors" in note
    # the preview follows every choice: a layer, the language, the size
    desktop.locator("#b-kitas").check()
    wait_for(desktop, "document.getElementById('preview').src.includes('layers=kitas')")
    desktop.locator("#b-lang").select_option("en")
    wait_for(desktop, "document.getElementById('preview').src.includes('lang=en')")
    desktop.locator("#b-height").fill("300")
    desktop.locator("#b-height").dispatch_event("change")
    wait_for(desktop, "document.getElementById('preview').getAttribute('height') === '300'")
    assert 'height="300"' in desktop.locator("#snippet").input_value()
    screenshot(desktop, "builder-desktop")


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_office_page_from_my_location_or_a_map_click(
    chromium: Any, map_server: str, demo_layers: list[str], device: str
) -> None:
    """/dienste/buergeramt: "Mein Standort" (the browser's location) or a click on the map –
    no decimal degrees to type; the offices show their week with today's line marked."""
    options = PHONE if device == "phone" else DESKTOP
    ctx = chromium.new_context(
        **options,
        geolocation={"latitude": 52.1035, "longitude": 9.3575},
        permissions=["geolocation"],
    )
    try:
        page = ctx.new_page()
        page.goto(f"{map_server}/dienste/buergeramt?lang=en")
        assert page.locator("input#lat:visible, input#lon:visible").count() == 0
        page.locator("#pick-map[data-ready]").wait_for(state="attached")
        screenshot(page, f"office-page-start-{device}")
        page.get_by_role("button", name="My location").click()
        page.wait_for_url("**lat=52.103500**")
        assert "lang=en" in page.url
        assert page.locator("[data-testid=open-office]").first.is_visible()
        today = page.locator(".office-card .week-table tr.today").first
        assert today.is_visible() and "(today)" in today.inner_text()
        assert (
            page.locator(".office-card a.book-button")
            .first.inner_text()
            .startswith("Book an appointment")
        )
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= options["viewport"]["width"], width
        page.locator("[data-testid=open-office]").first.scroll_into_view_if_needed()
        screenshot(page, f"office-page-located-{device}")
        page.locator("#pick-map").scroll_into_view_if_needed()
        box = page.locator("#pick-map").bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.6)
        page.wait_for_url(lambda url: "lat=52.103500" not in url and "lat=" in url)
        assert "lang=en" in page.url
        assert page.locator("[data-testid=open-office]").count() >= 1
    finally:
        ctx.close()


# ---- service tables: whole words, units, status badges, English errors ------------------------

#: Words (split at spaces, hyphens and slashes, where a line may end) that Chromium laid out
#: over more than one line; links and e-mail addresses may break inside, nothing else.
BROKEN_WORDS = """(selector) => {
  const broken = [];
  document.querySelectorAll(selector).forEach(cell => {
    if (!cell.getClientRects().length || cell.getBoundingClientRect().width < 2) return;
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      if (node.parentElement.closest('a[href^="http"], a[href^="mailto:"]')) continue;
      const words = /[^\\s\\-\\u2013\\/]+/g;
      let m;
      while ((m = words.exec(node.data))) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set(Array.from(range.getClientRects())
          .filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (tops.size > 1) broken.push(m[0]);
      }
    }
  });
  return broken;
}"""
#: The computed fill of every badge dot with its class colour (templates/_badge.html).
BADGE_FILLS = """() => Array.from(document.querySelectorAll('.status-badge')).map(b => [
  b.textContent.trim(), getComputedStyle(b.querySelector('circle')).fill, b.dataset.color])"""


def _rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


@pytest.mark.parametrize("lang", ["en", "de"])
def test_lot_table_wraps_between_words_with_units_and_badges(
    phone: Any, desktop: Any, map_server: str, demo_layers: list[str], lang: str
) -> None:
    """/holzverkauf (English headers are the long ones): no word broken in two on desktop or
    phone, no sideways scrolling, "42,5 rm" kept together, the status as a badge in the colour
    of the lot's class on the map; the lot map uses the same colours."""
    colours = {"frei": "#1a9850", "reserviert": "#e08214", "verkauft": "#8c8c8c"}
    if lang == "en":  # the badge says the class's English legend label
        colours = {"available": "#1a9850", "reserved": "#e08214", "sold": "#8c8c8c"}
    for name, page in (("desktop", desktop), ("phone", phone)):
        page.goto(f"{map_server}/holzverkauf?lang={lang}")
        page.locator("#lot-map[data-ready]").wait_for(state="attached")
        width = page.viewport_size["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= width, name
        cells = "#lots tbody th, #lots tbody td" + (", #lots thead th" if name == "desktop" else "")
        fits = "(() => { const w = document.querySelector('#lots').closest('.table-wrap');"
        assert page.evaluate(fits + " return w.scrollWidth <= w.clientWidth; })()"), name
        assert page.evaluate(BROKEN_WORDS, cells) == [], (name, lang)
        fills = page.evaluate(BADGE_FILLS)
        assert len(fills) == page.locator("#lots tbody tr[data-fid]").count() > 0
        for status, fill, marked in fills:
            assert marked == colours[status] and fill == _rgb(colours[status]), (status, fill)
        unit = "stacked m³" if lang == "en" else "rm"
        label = "Volume" if lang == "en" else "Menge"
        volume = page.locator(f"#lots tbody td[data-label='{label}']").first
        text_ = volume.inner_text()
        assert text_.endswith("\u00a0" + unit), text_
        # the number and (the first word of) its unit share a line: joined by a no-break space
        lines = volume.evaluate(
            "td => { const node = td.firstChild, end = node.data.indexOf(' ');"
            " const r = document.createRange(); r.setStart(node, 0);"
            " r.setEnd(node, end < 0 ? node.data.length : end);"
            " return new Set(Array.from(r.getClientRects()).filter(x => x.width > 0)"
            ".map(x => Math.round(x.top))).size; }"
        )
        assert lines == 1, "number and unit on separate lines"
        map_fills = page.evaluate(
            "() => Array.from(document.querySelectorAll('#lot-map path.leaflet-interactive'))"
            ".map(p => p.getAttribute('fill'))"
        )
        assert map_fills and set(map_fills) <= set(colours.values()), map_fills
        if name == "desktop":
            page.locator("#lots").scroll_into_view_if_needed()
        else:
            page.locator("#lots tbody tr[data-status='frei']").first.scroll_into_view_if_needed()
        screenshot(page, f"lots-words-{lang}-{name}")


def test_fahrzeugverkauf_list_shows_badges_and_prices_with_units(
    phone: Any, desktop: Any, map_server: str, demo_layers: list[str]
) -> None:
    colours = {"available": "#1a9850", "reserved": "#e08214", "sold": "#8c8c8c"}  # label_en
    for name, page in (("desktop", desktop), ("phone", phone)):
        page.goto(f"{map_server}/dienste/fahrzeugverkauf?lang=en")
        page.wait_for_load_state("load")
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
        fills = page.evaluate(BADGE_FILLS)
        assert fills, "no status badge"
        for status, fill, _marked in fills:
            assert fill == _rgb(colours[status]), (status, fill)
        price = page.locator("table.stack-table tbody td[data-label='Price']").first.inner_text()
        assert re.fullmatch(r"[0-9,]+(\.[0-9]+)?\u00a0€", price), price
        page.locator("table.stack-table").scroll_into_view_if_needed()
        screenshot(page, f"fahrzeuge-badges-en-{name}")


def test_error_page_in_english_names_the_problem(
    phone: Any, desktop: Any, map_server: str, demo_layers: list[str]
) -> None:
    for name, page in (("desktop", desktop), ("phone", phone)):
        response = page.goto(f"{map_server}/mein-ort?adresse=Xylophonweg+999&lang=en")
        assert response is not None and response.status == 404
        assert page.locator("h1").inner_text() == "Not found"
        message = page.get_by_test_id("error").inner_text()
        assert message == "The address 'Xylophonweg 999' was not found.", message
        screenshot(page, f"error-en-{name}")
