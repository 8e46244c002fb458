"""The "done when" journey in Debian's Chromium: citizens register for a Ferienaktion until it is
full and the next one lands on the waiting list; staff get the mail (a real SMTP server on
loopback); the citizen checks the status with reference number and secret; purge removes the
request after its retention. Screenshots desktop 1366×800 and phone 390×844 (touch)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import Engine, text

from buergergis.services import mail, retention
from buergergis.settings import Settings
from tests.anfragen_support import SmtpServer, clear_requests, small_activity, smtp_server  # noqa: F401
from tests.maps_support import axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_layers")]


def register(
    page: Any, base: str, fid: str, child: str, shot: str | None = None
) -> tuple[str, str]:
    """From the list of Ferienaktionen to the confirmation; returns reference and secret."""
    page.goto(f"{base}/dienste/ferienaktionen")
    page.locator(f'tr[data-fid="{fid}"]').get_by_test_id("request-link").click()
    page.get_by_label("Ihr Name").fill("Erika Mustermann")
    page.get_by_label("E-Mail oder Telefon").fill("erika@example.de")
    page.get_by_label("Name und Alter des Kindes").fill(child)
    page.get_by_label(re.compile("Ich bin einverstanden")).check()
    if shot:
        page.evaluate("window.scrollTo(0, 0)")
        screenshot(page, shot)
    page.locator("form.request-form button[type=submit]").click()
    page.get_by_test_id("reference").wait_for()
    return page.get_by_test_id("reference").inner_text(), page.get_by_test_id("secret").inner_text()


def test_ferienaktion_until_full_waiting_list_mail_status_purge(
    desktop: Any, phone: Any, map_server: str, engine: Engine, settings: Settings,
    smtp_server: SmtpServer,  # noqa: F811
) -> None:  # fmt: skip
    clear_requests(engine)
    fid, places = small_activity(engine)
    page = desktop.new_page()
    shots = ["anfrage-form-desktop"] + [None] * places
    references = [
        register(page, map_server, fid, f"Kind {i}, 9 Jahre", shots[i]) for i in range(places)
    ]
    screenshot(page, "anfrage-done-desktop")
    assert all(r.startswith("FA-") for r, _ in references)

    mobile = phone.new_page()
    mobile.goto(f"{map_server}/anfrage/ferienaktionen/{fid}")
    mobile.get_by_test_id("waiting-list").wait_for()  # full: the form offers the waiting list
    assert mobile.get_by_test_id("places-left").inner_text() == "0"
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(mobile, "anfrage-full-phone")
    waiting_ref, waiting_secret = register(mobile, map_server, fid, "Lotte, 8 Jahre",
                                           shot="anfrage-form-phone")  # fmt: skip
    mobile.get_by_test_id("waiting-list").wait_for()
    screenshot(mobile, "anfrage-waiting-list-phone")
    assert axe_violations(mobile) == []

    sent = mail.send_due(engine, mail.MailSettings(smtp_server.url, "rathaus@hameln.example"))
    staff_mails = smtp_server.inbox.to("ferienpass@hameln.example")
    assert sent.sent == 2 * (places + 1) and len(staff_mails) == places + 1
    waiting_mail = next(m for m in staff_mails if waiting_ref in m["Subject"])
    assert "Warteliste" in waiting_mail["Subject"]
    assert "Erika" not in waiting_mail.get_payload(decode=True).decode()

    page.goto(f"{map_server}/anfrage/status")
    page.get_by_label("Vorgangsnummer").fill(waiting_ref)
    page.get_by_label("Kennwort").fill(waiting_secret)
    page.get_by_role("button", name="Stand abfragen").click()
    page.get_by_test_id("state").wait_for()
    assert "Warteliste" in page.get_by_test_id("state").inner_text()
    screenshot(page, "anfrage-status-desktop")
    assert axe_violations(page) == []

    with engine.begin() as conn:  # staff closed it 91 days ago: the retention has passed
        conn.execute(
            text(
                "UPDATE buergergis.anfrage SET status = 'bearbeitet', bearbeitet_at = now() -"
                " interval '91 days', purge_after = now() - interval '1 day' WHERE reference = :r"
            ),
            {"r": waiting_ref},
        )
    assert retention.purge(engine, settings.var).requests == 1
    page.goto(f"{map_server}/anfrage/status")
    page.get_by_label("Vorgangsnummer").fill(waiting_ref)
    page.get_by_label("Kennwort").fill(waiting_secret)
    page.get_by_role("button", name="Stand abfragen").click()
    page.get_by_text("keine Anfrage").wait_for()
    screenshot(page, "anfrage-status-purged-desktop")
    assert desktop.cookies() == [] and phone.cookies() == []
    clear_requests(engine)


def test_map_popups_link_to_the_request_form(desktop: Any, map_server: str, engine: Engine) -> None:
    from tests.maps_support import wait_ready

    fid, _places = small_activity(engine)
    page = desktop.new_page()
    page.goto(f"{map_server}/?layers=ferienaktionen&feature=ferienaktionen:{fid}")
    wait_ready(page)
    popup = page.locator(".leaflet-popup-content .bgis-popup")
    popup.wait_for()
    link = popup.get_by_role("link", name="Anmeldung", exact=True)
    assert link.get_attribute("href") == f"/anfrage/ferienaktionen/{fid}"
    page.wait_for_timeout(600)  # the popup's fade-in and pan, for the screenshot only
    screenshot(page, "anfrage-map-popup-desktop")
    with engine.connect() as conn:
        sold = conn.execute(
            text("SELECT fid FROM layers.fahrzeugverkauf WHERE status = 'verkauft' LIMIT 1")
        ).scalar_one()
    page.goto(f"{map_server}/?layers=fahrzeugverkauf&feature=fahrzeugverkauf:{sold}")
    wait_ready(page)
    popup.wait_for()
    assert popup.locator("a.bgis-request").count() == 0, popup.inner_html()  # sold: no requests
