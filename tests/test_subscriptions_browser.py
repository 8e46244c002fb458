"""The subscription pages in Chromium (issue 16): form and confirmation notice on desktop and
phone, keyboard only, no serious accessibility problems (axe)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from tests.maps_support import axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_layers")]

DEVICES = {
    "desktop": {"viewport": {"width": 1366, "height": 800}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    },
}


@pytest.fixture(params=sorted(DEVICES))
def device(request: pytest.FixtureRequest, chromium: Any) -> Iterator[tuple[str, Any]]:
    ctx = chromium.new_context(**DEVICES[request.param])
    yield request.param, ctx.new_page()
    ctx.close()


def test_subscribe_to_new_lots_by_keyboard(
    map_server: str, engine: Engine, device: tuple[str, Any]
) -> None:
    name, page = device
    email = f"wald-{name}@example.de"
    page.goto(f"{map_server}/liste/holzverkauf")
    page.locator(".abo-link a").click()
    page.wait_for_url(lambda url: url.endswith("/abo/holzverkauf"))
    assert "Brennholzverkauf" in page.locator("h1").inner_text()
    assert axe_violations(page) == []
    page.locator("#abo-email").focus()
    page.keyboard.type(email)
    screenshot(page, f"abo-form-{name}")
    page.keyboard.press("Enter")
    page.locator("[role=status]").wait_for()
    assert "bestätigen" in page.locator("[role=status]").inner_text()
    screenshot(page, f"abo-sent-{name}")
    assert axe_violations(page) == []
    with engine.begin() as conn:
        row = conn.execute(
            text("SELECT confirmed_at FROM buergergis.subscription WHERE email = :e"),
            {"e": email},
        ).one()
        assert row.confirmed_at is None
        conn.execute(text("DELETE FROM buergergis.subscription WHERE email = :e"), {"e": email})
