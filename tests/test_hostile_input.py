"""Hostile values on every public route and parameter never give a 500.

Hypothesis draws values that broke the service before (NUL bytes, integers beyond bigint,
very long strings, control characters, SQL and HTML fragments, odd Unicode) and puts them
into every path variable and into every query parameter a public view reads. Every answer
must be a success, a redirect or a 4xx with the one error body — a 5xx other than a 503
(an outage, not this test's business) or a traceback is a failure. The form of the
Kaufanfrage and the staff JSON API get hostile form and JSON bodies the same way.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.admin_support import Staff, admin  # noqa: F401 - fixture

#: Query parameters read by public views (grep of ``args.get`` plus the OGC API parameters).
PARAMETERS = (
    "adresse", "all", "alle", "at", "basemap", "bbox", "bbox-crs", "before", "center", "crs",
    "cursor", "datetime", "f", "feature", "fid", "filter", "filter-crs", "filter-lang",
    "format", "height", "id", "lang", "lat", "layer", "layers", "limit", "lon", "los",
    "maxheight", "maxwidth", "name", "near", "next", "offset", "page", "properties", "q",
    "sort", "sortby", "status", "url", "version", "width", "x", "z", "zoom", "encoding",
    "flaeche_m2", "los_nr",
)  # fmt: skip
HOSTILE = st.one_of(
    st.sampled_from([
        "\x00", "holzverkauf\x00", "9223372036854775808", "-9223372036854775809",
        "99999999999999999999999", "1e309", "NaN", "-1", "0", "", " ", "%", "%00", "'", '"',
        "' OR 1=1 --", "<script>alert(1)</script>", "../../etc/passwd", "\u202e", "\ufeff",
        "a" * 5000, "1,2,3,4,5", "9999,-9999,9999,-9999", "2026-13-45", "../..",
        "\r\nSet-Cookie: x=1", "\t=1+1", "{}", "[]", "null", "☃" * 50,
    ]),
    st.text(min_size=0, max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)  # fmt: skip
LAYER_IDS = st.sampled_from(["holzverkauf", "ortsteile", "buergeramt", "nichtda", "kitas"])
PATH_VALUE = st.one_of(LAYER_IDS, HOSTILE)
#: Path variables with an ``int`` converter: hostile as digits only (others are 404 by routing).
INT_VALUE = st.one_of(st.integers(0, 2**70), st.sampled_from([0, 14, 9223372036854775808]))


def public_rules(app: Flask) -> list[str]:
    """Every GET route that needs no login (the citizen area, OGC, tiles, feeds, health)."""
    rules = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.rule.startswith(("/admin", "/static")):
            rules.append(rule.rule)
    return sorted(set(rules))


def fill(rule: str, data: st.DataObject) -> str:
    """The rule with every variable replaced by a drawn (URL-quoted) value."""

    def value(match: re.Match[str]) -> str:
        converter = match.group(1) or ""
        if converter.startswith("int"):
            return str(data.draw(INT_VALUE))
        drawn = data.draw(PATH_VALUE)
        return quote(drawn, safe="" if converter != "path:" else "/") or "x"

    return re.sub(r"<(int:|path:)?[a-z_]+>", value, rule)


def check(response_status: int, body: str, url: str) -> None:
    assert response_status < 500 or response_status == 503, f"{response_status} for {url!r}"
    assert "Traceback" not in body, url


@pytest.mark.usefixtures("demo_layers")
def test_every_public_route_survives_hostile_values(app: Flask) -> None:
    rules = public_rules(app)
    assert len(rules) >= 30, rules  # the whole public surface, not a sample

    @settings(
        max_examples=10 * len(rules),
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def probe(data: st.DataObject) -> None:
        rule = data.draw(st.sampled_from(rules))
        names = data.draw(st.lists(st.sampled_from(PARAMETERS), max_size=3, unique=True))
        query = "&".join(f"{n}={quote(data.draw(HOSTILE), safe='')}" for n in names)
        url = fill(rule, data) + (f"?{query}" if query else "")
        client = app.test_client()
        response = client.get(url, headers={"Accept": data.draw(ACCEPT)})
        check(
            response.status_code, response.get_data().decode("utf-8", "replace"), url
        )  # PDFs, PNGs

    probe()


ACCEPT = st.sampled_from(["*/*", "text/html", "application/json", "application/geo+json"])


@pytest.mark.parametrize(
    "url",
    [
        "/ogc/collections/holzverkauf%00/items",
        "/feeds/holzverkauf%00.atom",
        "/holzverkauf/anfrage?los=%00",
        "/dienste/buergeramt/status.json?id=%00",
        "/ogc/collections/holzverkauf/items?offset=9223372036854775808",
        "/liste/holzverkauf?page=99999999999999999999999",
        "/admin/login?next=%00",
        "/ogc/collections/holzverkauf/items?encoding=%00",
    ],
)
@pytest.mark.usefixtures("demo_layers")
def test_findings_of_the_issue_are_4xx_with_a_german_message(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert 400 <= response.status_code < 500, (url, response.status_code)
    body = response.get_data(as_text=True)
    assert "Traceback" not in body
    assert any(word in body for word in ("ungültig", "Ungültig", "unzulässig", "erwartet", "Nicht gefunden", "gibt es")), body[:500]  # fmt: skip


@pytest.mark.usefixtures("demo_layers")
def test_hostile_form_and_json_bodies(client: FlaskClient) -> None:
    response = client.post("/holzverkauf/anfrage", data={"los": "x", "name": "Max\x00Mustermann"})
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True)
    response = client.patch(
        "/admin/api/layers/holzverkauf",
        data='{"title": "A\\u0000B"}',
        content_type="application/json",
    )
    assert response.status_code in (400, 401)  # 401 without a token: never a 500


@pytest.mark.usefixtures("demo_layers")
def test_staff_api_with_token_refuses_hostile_values(
    client: FlaskClient,
    admin: Staff,  # noqa: F811
) -> None:
    headers = admin.bearer
    for url in (
        "/admin/api/audit?before=99999999999999999999999",
        "/admin/api/audit?before=%00",
        "/admin/api/audit?limit=-5",
        "/admin/api/layers/holzverkauf%00",
    ):
        response = client.get(url, headers=headers)
        assert 400 <= response.status_code < 500, (url, response.status_code)
        assert response.is_json and "description" in response.get_json()
    response = client.patch(
        "/admin/api/layers/holzverkauf",
        data='{"title": "A\\u0000B"}',
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 400 and "NUL" in response.get_json()["description"]
