"""Map pages, list pages, search and oEmbed through the Flask client against real PostGIS."""

from __future__ import annotations

import base64
import hashlib
import html
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from pyproj import Geod
from sqlalchemy import Engine

from buergergis.settings import Settings
from tests.maps_support import PROBE_ID, PROBE_ROWS, XSS_NAME, load_probe_layer

PAGES = [
    "/",
    "/embed?layers=maps-probe",
    "/embed/builder",
    f"/liste/{PROBE_ID}",
    "/search?q=hameln&f=html",
]


@pytest.fixture(scope="module")
def probe(engine: Engine, settings: Settings, demo_layers: list[str]) -> str:
    """The probe layer (plus every demo layer)."""
    return load_probe_layer(engine, settings)


def get(client: FlaskClient, url: str, status: int = 200, **kwargs: Any) -> Any:
    response = client.get(url, **kwargs)
    assert response.status_code == status, (
        url,
        response.status_code,
        response.get_data(as_text=True)[:500],
    )
    return response


def find(pattern: str, page: str) -> str:
    """The first group of a required match."""
    match = re.search(pattern, page, re.S)
    assert match, pattern
    return match.group(1)


def inline_scripts(page: str) -> list[str]:
    return re.findall(r"<script>(.*?)</script>", page, re.S)


@pytest.mark.parametrize("url", PAGES)
def test_pages_render_without_cookies_and_with_a_strict_csp(
    client: FlaskClient, probe: str, url: str
) -> None:
    response = get(client, url)
    assert "Set-Cookie" not in response.headers
    policy = dict(d.split(" ", 1) for d in response.headers["Content-Security-Policy"].split("; "))
    assert policy["default-src"] == "'self'" and policy["connect-src"] == "'self'"
    page = response.get_data(as_text=True)
    hashes = {
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in inline_scripts(page)
    }
    assert (
        policy["script-src"].split() == ["'self'", *sorted(hashes)]
        or set(policy["script-src"].split()[1:]) == hashes
    )
    assert "user-scalable" not in page and "maximum-scale" not in page
    assert not re.search(
        r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=["']?(?:https?:)?//""", page
    )


def test_city_map_lists_layers_by_category_with_legend_and_metadata(
    client: FlaskClient, probe: str
) -> None:
    page = get(client, "/").get_data(as_text=True)
    legends = re.findall(r"<legend>(.*?)</legend>", page)
    assert {
        "Verwaltung",
        "Familie &amp; Bildung",
        "Planen &amp; Bauen",
        "Basisdaten",
        "Sonstiges",
    } <= set(legends)
    assert 'data-layer="kitas" checked' in page and 'data-layer="flurstuecke">' in page
    assert "Datenstand" in page and "24.11.2026" in page and "dl-de/zero-2-0" in page
    assert 'href="/liste/kitas"' in page and 'class="swatch swatch-point"' in page
    assert 'data-minzoom="12"' in page  # flurstuecke: hint until zoom 12


def test_city_map_english_switch(client: FlaskClient, probe: str) -> None:
    page = get(client, "/?lang=en&layers=kitas").get_data(as_text=True)
    assert '<html lang="en">' in page and "Day-care centres (Kitas)" in page
    assert 'hreflang="de"' in page and "Deutsch" in page


def test_pages_are_cached_with_validators(client: FlaskClient, probe: str) -> None:
    first = get(client, "/embed?layers=kitas")
    etag = first.headers["ETag"]
    again = client.get("/embed?layers=kitas", headers={"If-None-Match": etag})
    assert again.status_code == 304
    other = get(client, "/embed?layers=buergeramt")
    assert other.headers["ETag"] != etag


def test_embed_has_only_its_layers_and_frame_ancestors(
    client: FlaskClient, probe: str, settings: Settings
) -> None:
    response = get(client, "/embed?layers=kitas,maps-probe&center=52.1,9.36&zoom=14&lang=en")
    page = response.get_data(as_text=True)
    assert response.headers["Content-Security-Policy"].endswith(
        f"frame-ancestors {settings.frame_ancestors}"
    )
    assert (
        '"id": "kitas"' in page
        and '"id": "maps-probe"' in page
        and '"id": "buergeramt"' not in page
    )
    big = html.unescape(find(r'class="open-big" href="([^"]+)"', page))
    assert big == "/?center=52.10000,9.36000&zoom=14&layers=kitas,maps-probe&lang=en"
    assert "leaflet.markercluster" in page and "jquery" not in page and "bootstrap" not in page


def test_embed_leaves_out_unknown_layers_with_a_notice(client: FlaskClient, probe: str) -> None:
    page = get(client, "/embed?layers=kitas,abgeschafft").get_data(as_text=True)
    assert "abgeschafft" in page and 'role="status"' in page


@pytest.mark.parametrize(
    ("url", "status", "words"),
    [
        ("/?zoom=99", 400, "'zoom'"),
        ("/embed?center=abc", 400, "'center'"),
        ("/embed?layers=Kitas!", 400, "'layers'"),
        ("/search", 400, "mindestens 2 Zeichen"),
        ("/search?q=x", 400, "mindestens 2 Zeichen"),
        (f"/search?q={'a' * 101}", 400, "höchstens 100"),
        ("/search?q=kita&limit=0", 400, "'limit'"),
        ("/search?q=kita&layers=gibtsnicht", 400, "unbekannte"),
        ("/search?q=kita&f=xml", 400, "'f'"),
        ("/search/nearest?layer=kitas&lon=200&lat=52", 400, "'lon'"),
        ("/search/nearest?layer=kitas&lon=9.3", 400, "'lat'"),
        ("/search/nearest?lon=9.3&lat=52", 400, "'layer'"),
        ("/search/nearest?layer=gibtsnicht&lon=9.3&lat=52", 404, "gibt es nicht"),
        ("/search/nearest?layer=gelaende&lon=9.3&lat=52", 404, "Vektorebene"),
        ("/liste/gibtsnicht", 404, "gibt es nicht"),
        ("/liste/gelaende", 404, "Rasterbild"),
        (f"/liste/{PROBE_ID}?sort=geom", 400, "'sort'"),
        (f"/liste/{PROBE_ID}?page=0", 400, "'page'"),
        (f"/liste/{PROBE_ID}?page=5", 404, "Seite 5"),
        ("/oembed", 400, "'url'"),
        ("/oembed?url=https://evil.example/embed", 404, "keine Einbettung"),
        ("/oembed?url=http://localhost/embed&format=yaml", 400, "'format'"),
        ("/embed/builder?height=10", 400, "'height'"),
    ],
)
def test_bad_input_gives_a_german_4xx(
    client: FlaskClient, probe: str, url: str, status: int, words: str
) -> None:
    body = get(client, url, status).get_json()
    assert words in body["description"], body


def search(client: FlaskClient, q: str, **params: str) -> list[dict[str, Any]]:
    query = {"q": q, **params}
    return get(client, "/search", query_string=query).get_json()["results"]


@pytest.mark.parametrize(
    ("query", "fid"),
    [
        ("Mühlenstraße", "p1"),
        ("muehlenstrasse", "p1"),
        ("MUHLENSTRASSE", "p1"),  # umlaut typed without dots: trigram similarity
        ("creme brulee", "p3"),  # accents
        ("Crème", "p3"),
        ("Aerztehaus", "p4"),
        ("Ärztehaus Nord", "p4"),
        ("Arztehaus", "p4"),
        ("Zahnartz", "p5"),  # typo
        ("markt apotheke", "p6"),  # words in another order
    ],
)
def test_search_is_umlaut_accent_and_typo_tolerant(
    client: FlaskClient, probe: str, query: str, fid: str
) -> None:
    hits = [h for h in search(client, query, layers=PROBE_ID)]
    assert hits and hits[0]["id"] == fid, (query, hits[:3])


def test_search_ranks_label_prefix_first_and_returns_positions(
    client: FlaskClient, probe: str
) -> None:
    hits = search(client, "Kita")
    assert hits and all(h["layer"] == "kitas" for h in hits[:3])
    assert hits[0]["label"].lower().startswith("kita") or " kita" in hits[0]["label"].lower()
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    first = hits[0]
    assert 9.2 < first["lon"] < 9.5 and 52.0 < first["lat"] < 52.2 and first["bbox"] is None
    assert first["map_url"].startswith("/?layers=kitas&center=")


def test_search_finds_polygons_with_their_extent(client: FlaskClient, probe: str) -> None:
    hits = search(client, "Tündern", layers="ortsteile")
    assert hits and hits[0]["label"] == "Tündern"
    x0, y0, x1, y1 = hits[0]["bbox"]
    assert x0 < hits[0]["lon"] < x1 and y0 < hits[0]["lat"] < y1


def test_search_results_are_data_not_markup(client: FlaskClient, probe: str) -> None:
    hits = search(client, "Ölmühle", layers=PROBE_ID)
    assert hits[0]["label"] == XSS_NAME
    page = get(client, "/search", query_string={"q": "Ölmühle", "f": "html"}).get_data(as_text=True)
    assert "<script>window.__xss" not in page and "&lt;script&gt;window.__xss" in page


def test_nearest_matches_geodesic_distances(client: FlaskClient, probe: str) -> None:
    lon, lat = 9.3555, 52.0980
    body = get(client, f"/search/nearest?layer={PROBE_ID}&lon={lon}&lat={lat}&limit=3").get_json()
    geod = Geod(ellps="WGS84")
    expected = sorted((geod.inv(lon, lat, r[5], r[6])[2], r[0]) for r in PROBE_ROWS)[:3]
    assert [r["id"] for r in body["results"]] == [fid for _, fid in expected]
    for row, (metres, _) in zip(body["results"], expected, strict=True):
        assert row["distance_m"] == pytest.approx(metres, abs=1.0)


def test_list_page_is_an_accessible_sortable_table(client: FlaskClient, probe: str) -> None:
    page = get(client, f"/liste/{PROBE_ID}?sort=name").get_data(as_text=True)
    assert '<th scope="col" aria-sort="ascending" data-type="text">' in page
    assert (
        page.count("aria-sort=") == 1
        and '<button type="submit" class="sort" name="sort" value="-name"' in page
    )
    names = [
        html.unescape(n).strip()
        for n in re.findall(r'<th scope="row" data-sort="[^"]*"[^>]*>\s*(.*?)\s*</th>', page, re.S)
    ]
    order = [
        "Ärztehaus Nord",
        "apotheke am markt",
        "Crème Brûlée Bistro",
        "Grüße aus Hameln",
        "Zahnarzt Süd",
    ]
    assert [n for n in names if n in order] == order
    assert (
        "&lt;script&gt;window.__xss=1&lt;/script&gt;" in page and "<script>window.__xss" not in page
    )
    assert "&lt;img src=x onerror=&#34;window.__xss=2&#34;&gt;" in page
    assert '<a href="https://www.hameln.de/" rel="noopener noreferrer">' in page
    assert 'href="/?layers=maps-probe&amp;zoom=17&amp;feature=maps-probe%3Ap1&amp;center=' in page
    descending = get(client, f"/liste/{PROBE_ID}?sort=-name").get_data(as_text=True)
    assert 'aria-sort="descending"' in descending


def test_list_filter_is_umlaut_insensitive_and_works_without_js(
    client: FlaskClient, probe: str
) -> None:
    page = get(client, f"/liste/{PROBE_ID}?q=muehle").get_data(as_text=True)
    rows = re.findall(r'<tr id="f-(\w+)"', page)
    assert sorted(rows) == ["p1", "p2"]
    assert "2 von 6 Einträgen" in page and 'value="muehle"' in page


def test_list_fid_marks_the_row(client: FlaskClient, probe: str) -> None:
    page = get(client, f"/liste/{PROBE_ID}?fid=p3").get_data(as_text=True)
    assert '<tr id="f-p3" class="current" aria-current="true">' in page


def test_big_layers_are_paginated_and_fid_finds_its_page(client: FlaskClient, probe: str) -> None:
    page = get(client, "/liste/flurstuecke?page=2&sort=-flaeche_m2").get_data(as_text=True)
    assert page.count('<th scope="row"') == 100
    assert 'aria-current="page">2</a>' in page and 'rel="next"' in page and 'rel="prev"' in page
    assert 'data-client-sortable="false"' in page
    areas = [float(a) for a in re.findall(r'<td data-sort="([0-9.e+-]+)">', page)][:5]
    assert areas == sorted(areas, reverse=True)
    fid = find(r'<tr id="f-([^"]+)"', page)
    found = get(
        client, "/liste/flurstuecke", query_string={"fid": fid, "sort": "-flaeche_m2"}
    ).get_data(as_text=True)
    assert 'aria-current="page">2</a>' in found and f'<tr id="f-{fid}" class="current"' in found


def test_oembed_json_and_xml(client: FlaskClient, probe: str, settings: Settings) -> None:
    url = f"{settings.public_url}/embed?layers=kitas&zoom=13"
    data = get(client, "/oembed", query_string={"url": url, "maxwidth": "500"}).get_json()
    assert (
        data["type"] == "rich"
        and data["width"] == 500
        and data["title"].endswith("Kindertagesstätten")
    )
    # BUERGERGIS_PUBLIC_URL is not set here: the snippet uses the request's host (issue 10)
    assert 'src="http://localhost/embed?zoom=13&amp;layers=kitas"' in data["html"]
    xml = get(client, "/oembed", query_string={"url": url, "format": "xml"})
    assert xml.mimetype == "text/xml" and b"<type>rich</type>" in xml.data
    page = get(client, "/embed?layers=kitas").get_data(as_text=True)
    assert 'type="application/json+oembed" href="/oembed?url=' in page


def test_builder_shows_the_snippet_and_may_only_be_framed_by_itself(
    client: FlaskClient, probe: str, settings: Settings
) -> None:
    response = get(
        client, "/embed/builder?layers=kitas&layers=buergeramt&zoom=13&width=100%25&height=500"
    )
    page = response.get_data(as_text=True)
    assert response.headers["Content-Security-Policy"].endswith("frame-ancestors 'self'")
    snippet = html.unescape(find(r'<textarea id="snippet"[^>]*>(.*?)</textarea>', page))
    assert snippet.startswith(  # no BUERGERGIS_PUBLIC_URL: the request's host (issue 10)
        '<iframe src="http://localhost/embed?zoom=13&amp;layers=kitas,buergeramt"'
    )
    assert 'width="100%" height="500"' in snippet
    assert '<iframe id="preview" src="/embed?zoom=13&amp;layers=kitas,buergeramt"' in page
