"""Keyset paging: ``next`` links continue after the last feature of the page (opaque cursor),
in every sort order, with NULLs, filters and every attribute type; ``offset`` still works."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine

from buergergis.store.catalog import get_layer
from buergergis.store.features import ItemsQuery, SortKey, build_items
from buergergis.store.paging import Cursor

ITEMS = "/ogc/collections/{}/items"


def _next(doc: dict) -> str | None:
    links = {link["rel"]: link["href"] for link in doc["links"]}
    return links.get("next")


def _walk(client: FlaskClient, url: str) -> tuple[list[str], list[dict]]:
    """Follow ``next`` from ``url``; the ids in order and every page document."""
    ids, docs = [], []
    while url:
        response = client.get(url.removeprefix("http://localhost"))
        assert response.status_code == 200, response.json
        doc = response.json
        ids += [f["id"] for f in doc["features"]]
        docs.append(doc)
        url = _next(doc)
        assert len(docs) < 500
    return ids, docs


@pytest.mark.parametrize(
    ("layer", "params"),
    [
        ("messpunkte", ""),
        ("messpunkte", "&sortby=gruppe,-wert"),
        ("messpunkte", "&sortby=-wert"),
        ("messpunkte", "&sortby=wert&filter=gruppe<>'b'"),
        ("messpunkte", "&bbox=9.3,52.05,9.4,52.15"),
        ("buergeraemter", "&sortby=plz"),  # one NULL: last when ascending
        ("buergeraemter", "&sortby=-plz,name"),  # first when descending
        ("buergeraemter", "&sortby=barrierefrei,-flaeche"),
        ("buergeraemter", "&sortby=-geaendert"),
        ("buergeraemter", "&sortby=eroeffnet"),
        ("baustellen", "&sortby=ende,-beginn"),  # dates with NULLs
    ],
)
def test_next_links_return_every_feature_once_in_order(
    client: FlaskClient, ogc_layers: list[str], layer: str, params: str
) -> None:
    whole = client.get(ITEMS.format(layer) + "?limit=1000" + params).json
    expected = [f["id"] for f in whole["features"]]
    assert len(expected) == whole["numberMatched"] > 3
    for limit in (1, 3, 50):
        ids, docs = _walk(client, ITEMS.format(layer) + f"?limit={limit}" + params)
        assert ids == expected, (limit, params)
        assert {d["numberMatched"] for d in docs} == {len(expected)}
        if len(docs) > 1:
            assert "cursor=" in _next(docs[0]) and "offset=" not in _next(docs[0])


def test_cursor_pages_link_back_with_offset(client: FlaskClient, ogc_layers: list[str]) -> None:
    first = client.get(ITEMS.format("messpunkte") + "?limit=100&sortby=wert").json
    second = client.get(_next(first).removeprefix("http://localhost")).json
    third = client.get(_next(second).removeprefix("http://localhost")).json
    prev = {link["rel"]: link["href"] for link in third["links"]}["prev"]
    assert "cursor" not in prev and "offset=100" in prev
    back = client.get(prev.removeprefix("http://localhost")).json
    assert [f["id"] for f in back["features"]] == [f["id"] for f in second["features"]]
    page = client.get(_next(first).removeprefix("http://localhost") + "&f=html")
    assert "101–200" in page.get_data(as_text=True)


def test_offset_keeps_working(client: FlaskClient, ogc_layers: list[str]) -> None:
    whole = [
        f["id"] for f in client.get(ITEMS.format("messpunkte") + "?limit=1000").json["features"]
    ]
    page = client.get(ITEMS.format("messpunkte") + "?limit=7&offset=200").json
    assert [f["id"] for f in page["features"]] == whole[200:207]
    assert "cursor=" in _next(page)
    after = client.get(_next(page).removeprefix("http://localhost")).json
    assert [f["id"] for f in after["features"]] == whole[207:214]


def test_near_pages_by_offset(client: FlaskClient, ogc_layers: list[str]) -> None:
    url = ITEMS.format("messpunkte") + "?limit=100&near=9.36,52.10"
    ids, docs = _walk(client, url)
    assert len(ids) == len(set(ids)) == 257 and "offset=100" in _next(docs[0])


def _token(order: str, values: list, position: int = 0) -> str:
    raw = json.dumps([order, values, position]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "query",
    [
        "cursor=nonsense!",
        "cursor=" + base64.urlsafe_b64encode(b"[1,2]").decode(),
        "cursor=" + _token("gruppe", ["a", 5]),  # belongs to another sort order
        "cursor=" + _token("", ["x"]),  # gid must be a number
        "cursor=" + _token("", [None]),
        "cursor=" + _token("", [5, 6]),
        "cursor=" + _token("", [5], -1),
        "sortby=wert&cursor=" + _token("wert", [True, 5]),
        "cursor=" + _token("", [5]) + "&near=9.36,52.10",
    ],
)
def test_bad_cursors_are_400(client: FlaskClient, ogc_layers: list[str], query: str) -> None:
    response = client.get(ITEMS.format("messpunkte") + "?" + query)
    assert response.status_code == 400, response.data
    assert "cursor" in response.json["description"]


def test_a_deep_cursor_page_seeks_instead_of_skipping(
    engine: Engine, ogc_layers: list[str]
) -> None:
    """The SQL of a cursor page starts at the key (primary key range), with no OFFSET."""
    with engine.connect() as conn:
        layer = get_layer(conn, "messpunkte")
    assert layer is not None
    query = ItemsQuery(limit=10, cursor=Cursor("", (250,), 250))
    stmt = build_items(layer, query)
    assert 't."gid" > CAST(%(p2)s AS bigint)' in stmt.sql and stmt.params["p1"] == 0
    with engine.connect() as conn:
        plan = "\n".join(
            r[0] for r in conn.exec_driver_sql("EXPLAIN " + stmt.sql, stmt.params).fetchall()
        )
    assert "Index" in plan, plan
    sorted_query = ItemsQuery(
        limit=10, sortby=(SortKey("gruppe"),), cursor=Cursor("gruppe", ("b", 3), 9)
    )
    assert (
        '(t."gruppe" > CAST(%(p2)s AS text) OR t."gruppe" IS NULL)'
        in build_items(layer, sorted_query).sql
    )


def test_next_link_parameters_are_kept(client: FlaskClient, ogc_layers: list[str]) -> None:
    doc = client.get(ITEMS.format("messpunkte") + "?limit=5&sortby=-wert&properties=wert").json
    query = parse_qs(urlsplit(_next(doc)).query)
    assert query["limit"] == ["5"] and query["sortby"] == ["-wert"]
    assert query["properties"] == ["wert"] and "offset" not in query
