"""City services wired into the map and list pages, through the Flask client on real PostGIS:
hidden past entries (list, map config, OGC filter), Holzverkauf filters, office status, ETags."""

from __future__ import annotations

import html
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine

from buergergis.services import filters, opening
from buergergis.services.on_map import past_query
from tests.wiring_support import (
    BERLIN,
    PAST,
    all_fids,
    current_fids,
    holzarten,
    layer_configs,
    lots,
    offices,
    on_one_day,
    row_ids,
)

pytestmark = pytest.mark.usefixtures("demo_layers")


def get(client: FlaskClient, url: str, status: int = 200, **kwargs: Any) -> Any:
    response = client.get(url, **kwargs)
    assert response.status_code == status, (url, response.get_data(as_text=True)[:400])
    return response


@pytest.mark.parametrize("layer", sorted(PAST))
def test_list_hides_the_past_by_default_and_shows_it_with_alle(
    client: FlaskClient, engine: Engine, layer: str
) -> None:
    day, page = on_one_day(lambda: get(client, f"/liste/{layer}").get_data(as_text=True))
    current = current_fids(engine, layer, day)
    assert row_ids(page) == current
    assert current < all_fids(engine, layer)  # the demo data has past entries
    assert "Nur aktuelle Einträge" in page
    assert 'href="?alle=1">Auch vergangene anzeigen</a>' in page

    every = get(client, f"/liste/{layer}?alle=1").get_data(as_text=True)
    assert row_ids(every) == all_fids(engine, layer)
    assert 'name="alle" value="1"' in every  # sorting and filtering keep alle=1
    assert "alle=1" in html.unescape(every.split("<tbody>")[1].split("</tr>")[0])  # map link


def test_list_etag_changes_with_the_date(
    client: FlaskClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fixed clock: tomorrow's list must not validate against today's ETag."""
    monkeypatch.setattr(filters, "today", lambda: date(2027, 3, 1))
    first = get(client, "/liste/ferienaktionen")
    assert row_ids(first.get_data(as_text=True)) == current_fids(
        engine, "ferienaktionen", date(2027, 3, 1)
    )
    etag = first.headers["ETag"]
    assert get(client, "/liste/ferienaktionen", 304, headers={"If-None-Match": etag})
    map_etag = get(client, "/").headers["ETag"]

    monkeypatch.setattr(filters, "today", lambda: date(2027, 4, 1))
    later = get(client, "/liste/ferienaktionen", headers={"If-None-Match": etag})
    assert later.headers["ETag"] != etag
    assert row_ids(later.get_data(as_text=True)) == current_fids(
        engine, "ferienaktionen", date(2027, 4, 1)
    )
    assert get(client, "/", headers={"If-None-Match": map_etag}).headers["ETag"] != map_etag
    # a list without a date rule keeps its validator
    kitas = get(client, "/liste/kitas").headers["ETag"]
    monkeypatch.setattr(filters, "today", lambda: date(2027, 5, 1))
    assert get(client, "/liste/kitas").headers["ETag"] == kitas


def test_map_asks_the_ogc_api_for_current_entries_only(client: FlaskClient) -> None:
    day, page = on_one_day(lambda: get(client, "/").get_data(as_text=True))
    configs = layer_configs(page)
    for layer, attribute in PAST.items():
        assert configs[layer]["itemsQuery"] == past_query(attribute, day)
        assert configs[layer]["service"]["hidesPast"] is True
    assert configs["kitas"]["itemsQuery"] is None
    lots = configs["holzverkauf"]["service"]
    assert {k: lots[k] for k in ("role", "statusField", "free")} == {
        "role": "holzverkauf",
        "statusField": "status",
        "free": "frei",
    }
    assert lots["only"] == {"attribute": "status", "value": "frei", "label": "nur freie Lose"}
    assert lots["request"]["url"] == "/anfrage/holzverkauf/"
    assert lots["request"]["requestable"] == ["frei"]
    assert configs["buergeramt"]["service"] == {"role": "buergeramt"}
    assert "Auch vergangene anzeigen" in page

    every = layer_configs(get(client, "/?alle=1").get_data(as_text=True))
    assert all(every[layer]["itemsQuery"] is None for layer in PAST)


@pytest.mark.parametrize("layer", sorted(PAST))
def test_the_map_filter_selects_what_the_list_shows(
    client: FlaskClient, engine: Engine, layer: str
) -> None:
    """The CQL2 filter the map sends is understood by the OGC API (which itself hides nothing)."""

    def read() -> tuple[set[str], set[str]]:
        day = datetime.now(BERLIN).date()
        url = f"/ogc/collections/{layer}/items?f=json&limit=500&{past_query(PAST[layer], day)}"
        body = get(client, url, headers={"Accept": "application/geo+json"}).get_json()
        plain = get(client, f"/ogc/collections/{layer}/items?f=json&limit=500").get_json()
        return {f["id"] for f in body["features"]}, {f["id"] for f in plain["features"]}

    day, (filtered, plain) = on_one_day(read)
    assert filtered == current_fids(engine, layer, day)
    assert plain == all_fids(engine, layer)


def test_holzverkauf_list_filters_by_status_and_holzart(
    client: FlaskClient, engine: Engine
) -> None:
    page = get(client, "/liste/holzverkauf?status=frei").get_data(as_text=True)
    assert row_ids(page) == lots(engine, status="frei")
    assert '<option value="frei" selected>frei</option>' in page
    assert '<label for="filter-holzart">' in page

    holzart = sorted(holzarten(engine))[0]
    both = get(client, f"/liste/holzverkauf?status=frei&holzart={holzart}").get_data(as_text=True)
    assert row_ids(both) == lots(engine, status="frei", holzart=holzart)
    # the select boxes sit in the table form, so sorting and filtering keep them
    assert (
        'name="status" data-server-filter data-initial="frei"' in both.split('id="table-form"')[1]
    )

    bad = get(client, "/liste/holzverkauf?status=%3Cscript%3E", 400)
    assert bad.mimetype == "application/json"  # never HTML with the value in it
    assert "nicht erlaubt" in bad.get_json()["description"]


@pytest.mark.parametrize("at", ["2026-11-25T10:00", "2026-11-28T13:30", "2026-12-25T10:00"])
def test_office_status_matches_the_opening_hours(
    client: FlaskClient, engine: Engine, at: str
) -> None:
    for fid, name, hours in offices(engine):
        response = get(client, f"/dienste/buergeramt/status.json?id={fid}&at={at}")
        assert response.headers["Cache-Control"] == "no-store"
        office = response.get_json()["office"]
        assert office["name"] == name
        expected = opening.status(hours, datetime.fromisoformat(at))
        assert office["status"]["text"] == expected.text
        assert office["status"]["open"] == expected.is_open


def test_office_status_errors_are_json_in_german(client: FlaskClient) -> None:
    missing = get(client, "/dienste/buergeramt/status.json", 400).get_json()
    assert "Parameter 'id' fehlt" in missing["description"]
    unknown = get(client, "/dienste/buergeramt/status.json?id=%3Cb%3Enope", 404).get_json()
    assert "gibt es nicht" in unknown["description"]


def test_permalink_of_a_list_row_keeps_alle(client: FlaskClient) -> None:
    page = get(client, "/liste/ferienaktionen?alle=1").get_data(as_text=True)
    link = html.unescape(page.split("<tbody>")[1].split('<a href="/?')[1].split('"')[0])
    link = "/?" + link
    params = parse_qs(link.split("?", 1)[1])
    assert params["alle"] == ["1"] and params["layers"] == ["ferienaktionen"]
