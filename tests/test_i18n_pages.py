"""English everywhere a citizen goes (issue 10, section 4): with ``lang=en`` the service pages,
"Mein Ort", the map texts and error pages are English, and every link between citizen pages
keeps the language."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from buergergis.services.texts import _DE, _EN, FORM_ERRORS_EN, TITLES_EN
from buergergis.store.sql import layer_view

#: UI words that must not appear on an English page (data values may stay German).
GERMAN_UI = (
    "Jetzt geöffnet", "Geschlossen", "Montag", "Dienstag", "Öffnungszeiten", "Termin vereinbaren",
    "Filtern", "Anzeigen", "Einträge", "Zurück", "Bürgerdienste", "Mein Ort –", "Kaufanfrage",
    "Keine amtliche", "Zum Inhalt", "Nächstes geöffnetes", "Stadtkarte", "Feiertag", "Uhr<",
    "Druckfassung", "PDF herunterladen", "Dieser Ort liegt", "Kitas in der Nähe", "Suchen<",
    "Adresse<", "Beispieldaten der Stadt", "Nicht gefunden",
)  # fmt: skip
CITIZEN = ("/dienste", "/holzverkauf", "/mein-ort", "/liste/", "/anfrage", "/search")
HTML = {"Accept": "text/html"}


class Links(HTMLParser):
    """All ``href`` values and the ``<html lang>`` of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.lang = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang") or ""
        if tag == "a" and values.get("href") and values.get("class") != "lang-switch":
            self.hrefs.append(str(values["href"]))


def parse(body: str) -> Links:
    links = Links()
    links.feed(body)
    return links


def visible_text(body: str) -> str:
    body = re.sub(r"<script.*?</script>", "", body, flags=re.S)
    return re.sub(r"<[^>]+>", "<", body)


@pytest.fixture(scope="module")
def office_point(engine: Engine, demo_layers: list[str]) -> tuple[float, float]:
    with engine.connect() as conn:
        row = conn.execute(
            text(
                f"SELECT ST_Y(ST_Transform(geom, 4326)), ST_X(ST_Transform(geom, 4326)) FROM {layer_view('buergeramt')} ORDER BY gid LIMIT 1"  # noqa: S608
            )
        ).one()
    return float(row[0]), float(row[1])


def english_pages(point: tuple[float, float]) -> list[str]:
    lat, lon = point
    return [
        "/dienste?lang=en",
        "/dienste/buergeramt?lang=en",
        f"/dienste/buergeramt?lat={lat}&lon={lon}&lang=en&at=2026-11-26T10:00",
        "/dienste/kitas?lang=en",
        "/dienste/ferienaktionen?lang=en",
        "/dienste/fahrzeugverkauf?lang=en",  # request column and status badges in English
        "/holzverkauf?lang=en",
        "/mein-ort?lang=en",
        f"/mein-ort?lat={lat}&lon={lon}&lang=en",
        f"/mein-ort?lat={lat}&lon={lon}&lang=en&druck=1",
        "/dienste/gibt-es-nicht?lang=en",
    ]


def test_both_languages_have_the_same_texts() -> None:
    assert set(_DE) == set(_EN)
    assert all(_EN[k] != _DE[k] or k in {"site", "name", "label_name"} for k in _DE)
    assert set(TITLES_EN) >= {"buergeramt", "holzverkauf", "kitas"}
    assert all(message.isascii() for message in FORM_ERRORS_EN.values())


def test_service_pages_are_english_and_keep_the_language(
    client: FlaskClient, office_point: tuple[float, float]
) -> None:
    for path in english_pages(office_point):
        response = client.get(path, headers=HTML)
        body = response.get_data(as_text=True)
        assert response.mimetype == "text/html", path
        assert response.status_code == (404 if "gibt-es-nicht" in path else 200), path
        page = parse(body)
        assert page.lang == "en", path
        shown = visible_text(body)
        german = [w for w in GERMAN_UI if w in shown]
        assert german == [], (path, german)
        for href in page.hrefs:
            parts = urlsplit(href)
            if parts.netloc or not parts.path.startswith(CITIZEN) and parts.path != "/":
                continue
            if href.startswith("#") or parts.path.endswith((".atom", ".json", ".pdf")):
                continue
            assert parse_qs(parts.query).get("lang") == ["en"], (path, href)


def test_language_switch_keeps_the_other_parameters(client: FlaskClient) -> None:
    body = client.get("/dienste/kitas?traeger=Stadt&lang=en", headers=HTML).get_data(as_text=True)
    switch = re.search(r'<a class="lang-switch" href="([^"]+)"', body)
    assert switch and switch.group(1).replace("&amp;", "&") == "/dienste/kitas?traeger=Stadt"
    body = client.get("/dienste/kitas?traeger=Stadt", headers=HTML).get_data(as_text=True)
    switch = re.search(r'<a class="lang-switch" href="([^"]+)"', body)
    assert switch and "lang=en" in switch.group(1) and "traeger=Stadt" in switch.group(1)


def test_weekly_table_on_the_office_page_in_both_languages(client: FlaskClient) -> None:
    german = client.get("/dienste/buergeramt?at=2026-11-26T10:00", headers=HTML)
    body = german.get_data(as_text=True)
    assert 'Donnerstag <span class="today-mark">(heute)</span>' in body
    assert re.search(r"<td>\d\d:\d\d–\d\d:\d\d Uhr", body)
    assert "PH off" not in body and "Mo-" not in body
    assert 'class="button book-button"' in body and "Termin vereinbaren" in body
    assert 'name="lat"' not in body.split('id="locate-form"')[0]  # no typed coordinates
    assert 'type="hidden" name="lat"' in body and 'id="adresse"' in body and "pick-map" in body
    english = client.get("/dienste/buergeramt?at=2026-11-26T10:00&lang=en", headers=HTML)
    body = english.get_data(as_text=True)
    assert 'Thursday <span class="today-mark">(today)</span>' in body
    assert "Book an appointment" in body


def test_office_page_from_an_address(client: FlaskClient, demo_layers: list[str]) -> None:
    body = client.get("/dienste/buergeramt?adresse=Osterstraße 2", headers=HTML).get_data(
        as_text=True
    )
    assert 'data-testid="open-office"' in body
    assert "Osterstraße 2" in body


def test_popup_status_json_in_english(client: FlaskClient, engine: Engine) -> None:
    with engine.connect() as conn:
        fid = conn.execute(
            text(f"SELECT fid FROM {layer_view('buergeramt')} ORDER BY gid LIMIT 1")  # noqa: S608
        ).scalar_one()
    body: Any = client.get(
        f"/dienste/buergeramt/status.json?id={fid}&at=2026-11-26T10:00&lang=en"
    ).get_json()
    status = body["office"]["status"]["text"]
    assert status.startswith(("Open now – closes", "Closed – opens")), status
    week = body["office"]["week"]
    assert [d["weekday"] for d in week["days"]][:2] == ["Monday", "Tuesday"]
    assert [d["today"] for d in week["days"]].index(True) == 3
    german: Any = client.get(
        f"/dienste/buergeramt/status.json?id={fid}&at=2026-11-26T10:00"
    ).get_json()
    assert german["office"]["week"]["days"][0]["weekday"] == "Montag"


def test_map_texts_and_categories_in_english(client: FlaskClient, demo_layers: list[str]) -> None:
    body = client.get("/?lang=en", headers=HTML).get_data(as_text=True)
    legends = re.findall(r"<legend>([^<]+)</legend>", body)
    assert legends and "Basisdaten" not in legends and "Base data" in legends, legends
    assert "What applies here?" in body and "Was gilt hier?" not in body
    assert "Book an appointment" in body  # popup texts for the browser code
    # the request link of a service layer's popups (service.request.title) in English
    assert re.search(r'"label":\s*"Request to buy"', body)
    assert not re.search(r'"label":\s*"Kaufanfrage', body)


def test_builder_falls_back_to_the_request_host(client: FlaskClient) -> None:
    body = client.get("/embed/builder", base_url="https://karte.example.org").get_data(as_text=True)
    assert "127.0.0.1:5000" not in body
    assert 'src="https://karte.example.org/embed' in body.replace("&#34;", '"')
    assert "frame-ancestors" in body


def test_list_page_shows_the_week_not_the_syntax(
    client: FlaskClient, demo_layers: list[str]
) -> None:
    for lang, day in (("", "Montag"), ("?lang=en", "Monday")):
        body = client.get(f"/liste/buergeramt{lang}", headers=HTML).get_data(as_text=True)
        assert 'class="week-table"' in body and day in body
        shown = visible_text(body)  # the raw expression stays only as the sort key
        assert "PH off" not in shown and not re.search(r"Mo-\w\w \d\d:\d\d", shown)


def test_request_form_and_confirmation_in_english(
    client: FlaskClient, engine: Engine, demo_layers: list[str]
) -> None:
    from tests.anfragen_support import form_data

    with engine.connect() as conn:
        fid = conn.execute(
            text(
                f"SELECT fid FROM {layer_view('holzverkauf')} WHERE status = 'frei' ORDER BY gid DESC LIMIT 1"  # noqa: S608
            )
        ).scalar_one()
    start = client.get(f"/holzverkauf/anfrage?los={fid}&lang=en", headers=HTML)
    assert start.status_code in (301, 302, 303) and "lang=en" in start.headers["Location"]
    form = client.get(start.headers["Location"], headers=HTML)
    body = form.get_data(as_text=True)
    assert form.status_code == 200 and parse(body).lang == "en"
    shown = visible_text(body)
    assert "Request to buy" in shown and "Your name" in shown and "E-mail or phone" in shown
    assert [w for w in GERMAN_UI + ("Ihr Name", "Höchstens", "Zurück") if w in shown] == []
    action = re.search(r'<form method="post" action="([^"]+)"', body)
    assert action and "lang=en" in action.group(1)
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', body)
    assert token
    bad = client.post(
        action.group(1).replace("&amp;", "&"), data=form_data(token.group(1), name="")
    )
    assert bad.status_code == 400 and "Please enter your name." in bad.get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', bad.get_data(as_text=True))
    assert token
    sent = client.post(action.group(1).replace("&amp;", "&"), data=form_data(token.group(1)))
    assert sent.status_code == 303 and "lang=en" in sent.headers["Location"]
    done = client.get(sent.headers["Location"], headers=HTML).get_data(as_text=True)
    shown = visible_text(done)
    assert "Thank you – your request has been received" in shown and "Reference number" in shown
    assert "received, not yet processed" in shown
    assert [w for w in GERMAN_UI + ("Vorgangsnummer", "Eingegangen") if w in shown] == []


def test_nearest_open_office_json_in_english(
    client: FlaskClient, office_point: tuple[float, float]
) -> None:
    lat, lon = office_point
    body: Any = client.get(
        f"/dienste/buergeramt/offen?lat={lat}&lon={lon}&at=2026-11-26T10:00&lang=en"
    ).get_json()
    assert body["office"]["status"]["text"].startswith("Open now – closes at ")
    german: Any = client.get(
        f"/dienste/buergeramt/offen?lat={lat}&lon={lon}&at=2026-11-26T10:00"
    ).get_json()
    assert german["office"]["status"]["text"].startswith("Jetzt geöffnet – schließt ")


# ---- domain messages of errors in English (one error path, web/errors.py) --------------------

ERRORS = [
    ("/liste/gibtsnicht", "Die Ebene 'gibtsnicht' gibt es nicht.", "There is no layer 'gibtsnicht'."),
    ("/anfrage/holzverkauf/gibtsnicht", "Das Angebot 'gibtsnicht' gibt es nicht.",
     "There is no offer 'gibtsnicht'."),
    ("/mein-ort?adresse=Xylophonweg+999", "Die Adresse 'Xylophonweg 999' wurde nicht gefunden.",
     "The address 'Xylophonweg 999' was not found."),
    ("/mein-ort?lat=abc&lon=9.35", "eine Zahl zwischen -90 und 90 angeben", "a number between -90 and 90"),
    ("/holzverkauf?status=weg", "'weg' ist nicht erlaubt", "'weg' is not allowed"),
    ("/dienste/gibt-es-nicht", "ist nicht verfügbar", "is not available"),
    ("/anfrage/bestaetigung/kaputt", "Dieser Bestätigungslink ist ungültig",
     "This confirmation link is invalid"),
    ("/gibt/es/nicht", "Nicht gefunden.", "The requested URL was not found on the server."),
]  # fmt: skip


@pytest.mark.parametrize(("path", "german", "english"), ERRORS)
def test_error_messages_of_citizen_pages_in_english(
    client: FlaskClient, demo_layers: list[str], path: str, german: str, english: str
) -> None:
    joined = "&" if "?" in path else "?"
    page = client.get(path + joined + "lang=en", headers=HTML)
    body = page.get_data(as_text=True)
    assert 400 <= page.status_code < 500 and page.mimetype == "text/html", (path, page.status_code)
    assert parse(body).lang == "en"
    body = unescape(body)
    assert english in body and german not in body, body
    german_page = unescape(client.get(path, headers=HTML).get_data(as_text=True))
    assert german in german_page and english not in german_page


def test_json_errors_stay_german_unless_english_is_asked_for(
    client: FlaskClient, demo_layers: list[str]
) -> None:
    path = "/mein-ort.json?adresse=Xylophonweg+999"
    assert client.get(path).get_json()["description"] == (
        "Die Adresse 'Xylophonweg 999' wurde nicht gefunden."
    )
    body = client.get(path + "&lang=en").get_json()
    assert body == {
        "code": "NotFound",
        "description": "The address 'Xylophonweg 999' was not found.",
    }
    api = client.get("/ogc/collections/gibtsnicht?f=json").get_json()
    assert api["description"] == "Die Ebene 'gibtsnicht' gibt es nicht."
    english = client.get("/ogc/collections/gibtsnicht?f=json&lang=en").get_json()
    assert english["description"] == "There is no layer 'gibtsnicht'."


def test_refused_request_form_names_the_reason_in_english(
    client: FlaskClient, engine: Engine, demo_layers: list[str]
) -> None:
    from tests.anfragen_support import form_data

    with engine.connect() as conn:
        fid = conn.execute(
            text(
                f"SELECT fid FROM {layer_view('holzverkauf')} WHERE status = 'frei' ORDER BY gid LIMIT 1"  # noqa: S608
            )
        ).scalar_one()
    for lang, reason in (
        ("en", "The form is incomplete (its security mark is missing). Please send it again."),
        ("de", "Das Formular ist unvollständig (Sicherheitsmerkmal fehlt). Bitte erneut senden."),
    ):
        suffix = "?lang=en" if lang == "en" else ""
        sent = client.post(f"/anfrage/holzverkauf/{fid}{suffix}", data=form_data("gefälscht"))
        body = sent.get_data(as_text=True)
        assert sent.status_code == 400 and 'data-testid="form-problem"' in body, body
        problem = re.search(r'data-testid="form-problem"><p>([^<]+)</p>', body)
        assert problem and problem.group(1) == reason, (lang, problem)
        assert parse(body).lang == lang
