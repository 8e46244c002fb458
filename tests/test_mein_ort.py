"""„Mein Ort" by address: each place once, the server-drawn map, print view and PDF."""

from __future__ import annotations

import html
import io
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import Engine, text

from buergergis.services.report import NOTE
from buergergis.store.sql import layer_view

THURSDAY = "2026-11-26T15:00"  # the Rathaus is open (Th 08:00-18:00)


def get(client: FlaskClient, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, (url, response.get_data(as_text=True)[:400])
    return response


def address_point(engine: Engine, label: str) -> tuple[float, float]:
    with engine.connect() as conn:
        lon, lat = conn.execute(
            text(
                f"SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(geom, 4326) p FROM {layer_view('adressen')}"  # noqa: S608
                " WHERE adresse = :a) s"
            ),
            {"a": label},
        ).one()
    return float(lon), float(lat)


@pytest.mark.parametrize("query", ["Osterstraße 2", "osterstr. 2", "Osterstrasse 2"])
def test_address_gives_the_report_of_that_address(
    client: FlaskClient, engine: Engine, demo_layers: list[str], query: str
) -> None:
    body = get(client, f"/mein-ort.json?adresse={query}").get_json()
    assert (body["point"]["label"], body["point"]["detail"]) == ("Osterstraße 2", "31785 Hameln")
    lon, lat = address_point(engine, "Osterstraße 2")
    assert body["point"]["lon"] == pytest.approx(lon, abs=1e-7)
    assert body["point"]["lat"] == pytest.approx(lat, abs=1e-7)
    assert body["ortsteil"]["name"] == "Kernstadt"
    page = get(client, f"/mein-ort?adresse={query}").get_data(as_text=True)
    assert "<h1>Mein Ort: Osterstraße 2, 31785 Hameln</h1>" in page


def test_unknown_address_is_a_german_404(client: FlaskClient, demo_layers: list[str]) -> None:
    response = get(client, "/mein-ort?adresse=Xylophonweg", 404)
    assert "Xylophonweg" in response.get_data(as_text=True)
    assert "nicht gefunden" in response.get_data(as_text=True)


def offices_list(page: str) -> list[str]:
    block = re.search(r'<ul class="offices" data-testid="offices">(.*?)</ul>', page, re.S)
    assert block
    return re.findall(r"<strong>(.*?)</strong>", block.group(1))


def test_the_open_nearest_buergerbuero_is_listed_once(
    client: FlaskClient, demo_layers: list[str]
) -> None:
    page = get(client, f"/mein-ort?adresse=Rathausplatz 1&at={THURSDAY}").get_data(as_text=True)
    assert offices_list(page) == ["Bürgerbüro im Rathaus"]
    assert "Am nächsten und jetzt geöffnet: <strong>Bürgerbüro im Rathaus</strong>" in page
    assert page.count("Bürgerbüro im Rathaus</strong>") == 1
    legend = re.findall(r'<span class="pm-key pm-office"[^>]*>\d+</span> ([^<]+)</li>', page)
    assert legend == ["Bürgerbüro im Rathaus"]
    body = get(client, f"/mein-ort.json?adresse=Rathausplatz 1&at={THURSDAY}").get_json()
    assert body["buergeramt"]["open_now"]["id"] == body["buergeramt"]["nearest"]["id"] == "rathaus"


def test_a_closed_nearest_and_an_open_one_are_two_entries(
    client: FlaskClient, demo_layers: list[str]
) -> None:
    tuesday = "/mein-ort?adresse=Rathausplatz 1&at=2026-11-24T10:00"  # Tuesday morning
    page = get(client, tuesday).get_data(as_text=True)
    names = offices_list(page)
    assert len(names) == len(set(names)) >= 1


def test_areas_do_not_repeat_the_ortsteil(client: FlaskClient, demo_layers: list[str]) -> None:
    page = get(client, "/mein-ort?adresse=Osterstraße 2").get_data(as_text=True)
    areas = re.search(r'<ul data-testid="areas">(.*?)</ul>', page, re.S)
    assert areas and 'data-layer="ortsteile"' not in areas.group(1)
    # (layer, text): other tests of the session may load layers that share a title ("GEM")
    items = re.findall(r'<li data-layer="([^"]*)"[^>]*>(.*?)</li>', areas.group(1), re.S)
    assert len(items) == len(set(items)) and any("Stadt Hameln" in i for _, i in items)


def test_map_is_an_svg_of_this_server_with_the_places_of_the_report(
    client: FlaskClient, demo_layers: list[str]
) -> None:
    page = get(client, f"/mein-ort?adresse=Osterstraße 2&at={THURSDAY}").get_data(as_text=True)
    figure = re.search(r'<figure class="place-map".*?</figure>', page, re.S)
    assert figure
    svg = figure.group(0)
    assert re.search(r'viewBox="-\d+(\.\d+)? -\d+(\.\d+)? \d+(\.\d+)? \d+(\.\d+)?"', svg)
    assert svg.count("<circle") > 50  # address points trace the streets
    assert '<g data-kind="here">' in svg and "<path d=" in svg  # Ortsteil boundary
    numbers = re.findall(r'<g data-kind="(office|kita|lot)">', svg)
    legend = re.findall(r'<span class="pm-key pm-(office|kita|lot)"', svg)
    assert numbers and numbers == legend
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", svg)


def test_print_view_has_the_note_and_no_navigation(
    client: FlaskClient, demo_layers: list[str]
) -> None:
    page = get(client, "/mein-ort?adresse=Osterstraße 2&druck=1").get_data(as_text=True)
    assert 'class="page-services print-view"' in page
    assert NOTE in page and 'src="/static/services/print.js"' in page
    normal = get(client, "/mein-ort?adresse=Osterstraße 2").get_data(as_text=True)
    assert link(normal, "print-link") == (
        "/mein-ort",
        {"adresse": ["Osterstraße 2"], "druck": ["1"]},
    )
    assert link(normal, "pdf-link") == ("/mein-ort.pdf", {"adresse": ["Osterstraße 2"]})


def link(page: str, testid: str) -> tuple[str, dict[str, list[str]]]:
    """Path and query of the link with this ``data-testid``."""
    tag = re.search(rf'<a [^>]*data-testid="{testid}"[^>]*>', page)
    assert tag, testid
    href = html.unescape(re.search(r'href="([^"]*)"', tag.group(0)).group(1))  # type: ignore[union-attr]
    parts = urlsplit(href)
    return parts.path, parse_qs(parts.query)


def test_pdf_holds_the_address_the_note_and_the_map(
    client: FlaskClient, demo_layers: list[str]
) -> None:
    response = get(client, f"/mein-ort.pdf?adresse=osterstr. 2&at={THURSDAY}")
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="mein-ort.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    reader = PdfReader(io.BytesIO(response.data))
    content = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    assert "Osterstraße 2, 31785 Hameln" in content
    assert "Keine amtliche Auskunft" in content
    assert "Bürgerbüro im Rathaus" in content
    first = reader.pages[0]
    assert float(first.mediabox.width) == pytest.approx(595.3, abs=1)  # A4
    assert "Grau: Adresspunkte" in content  # the map's legend is in the PDF


def test_pdf_of_coordinates_works_too(client: FlaskClient, demo_layers: list[str]) -> None:
    response = get(client, "/mein-ort.pdf?lat=52.1035&lon=9.3575")
    text_ = " ".join((p.extract_text() or "") for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "Keine amtliche Auskunft" in " ".join(text_.split())


def test_other_hits_are_offered_only_when_the_address_is_not_exact(
    client: FlaskClient, demo_layers: list[str]
) -> None:
    exact = get(client, "/mein-ort?adresse=osterstr. 2").get_data(as_text=True)
    assert 'data-testid="also-found"' not in exact
    vague = get(client, "/mein-ort?adresse=Osterstraße").get_data(as_text=True)
    found = re.search(r'data-testid="also-found">(.*?)</p>', vague, re.S)
    assert found and "Andere Treffer" in found.group(1)
    hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]*)"', found.group(1))]
    assert hrefs and all(
        parse_qs(urlsplit(h).query)["adresse"][0].startswith("Osterstraße ") for h in hrefs
    )
