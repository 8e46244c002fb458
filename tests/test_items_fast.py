"""The lean path of ``/items`` (web/items_fast.py) answers exactly as the Flask path does:
same status, headers and bytes; everything else (private layers, errors, HTML, other
parameters) goes on to Flask and gets the answer it got before."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import brotli
import pytest
from flask import Flask
from werkzeug.test import Client, TestResponse

from buergergis.web.items_fast import LeanItems

ITEMS = "/ogc/collections/buergeraemter/items"
MANY = "/ogc/collections/messpunkte/items"
BBOX = "bbox=9.30,52.05,9.45,52.15"
DECLINED = 599


class _Frozen(datetime):
    """``datetime.now`` fixed, so that two answers of the same page have the same bytes."""

    @classmethod
    def now(cls, tz: Any = None) -> _Frozen:
        return cls(2026, 12, 3, 12, 0, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_time(monkeypatch: pytest.MonkeyPatch) -> None:
    from buergergis.web.ogc import items

    monkeypatch.setattr(items, "datetime", _Frozen)


def _declining_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response(f"{DECLINED} Flask", [("Content-Type", "text/plain")])
    return [b"flask"]


@pytest.fixture()
def clients(app: Flask, ogc_layers: list[str]) -> Iterator[tuple[Client, Client, Client]]:
    """(lean path alone — Flask replaced by a 599 —, Flask alone, the app as deployed)."""
    lean = Client(LeanItems(_declining_app, app))
    flask = Client(partial(Flask.wsgi_app, app))
    yield lean, flask, Client(app)


def _headers(response: TestResponse) -> list[tuple[str, str]]:
    """All headers, in order; ``Vary: Cookie`` is left out: Flask-Login's after-request hook
    reads the session on every Flask response (the lean path has no session; as on the tile
    path). ``Date`` (set by Flask-Compress with a compressed body) is the clock's: only there."""
    result = []
    for key, value in response.headers.items():
        if key == "Vary":
            value = ", ".join(v for v in value.split(", ") if v != "Cookie")
        elif key == "Date":
            value = "(now)"
        result.append((key, value))
    return result


def _body(response: TestResponse) -> bytes:
    encoding = response.headers.get("Content-Encoding")
    if encoding == "gzip":  # gzip stores the time of compression: compare the content
        return gzip.decompress(response.data)
    if encoding == "br":
        return bytes(brotli.decompress(response.data))
    return response.data


def _same(lean: Client, flask: Client, url: str, **kwargs: Any) -> TestResponse:
    by_lean = lean.open(url, **kwargs)
    by_flask = flask.open(url, **kwargs)
    assert by_lean.status_code != DECLINED, f"the lean path declined {url}"
    assert by_lean.status_code == by_flask.status_code, url
    assert _headers(by_lean) == _headers(by_flask), url
    assert _body(by_lean) == _body(by_flask), url
    return by_lean


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        (f"{ITEMS}?{BBOX}&limit=5", {}),
        (f"{ITEMS}?{BBOX}&limit=5", {"Accept-Encoding": "gzip"}),
        (f"{ITEMS}?{BBOX}&limit=5", {"Accept-Encoding": "br, gzip"}),
        (f"{ITEMS}?limit=3&offset=4", {"Accept": "application/geo+json"}),
        (f"{ITEMS}?limit=3&lang=en", {}),
        (f"{ITEMS}?properties=name,art&limit=4", {"Accept": "application/json"}),
        (f"{ITEMS}?crs=http://www.opengis.net/def/crs/EPSG/0/25832&f=json", {}),
        (
            f"{ITEMS}?bbox=525000,5770000,527000,5776000&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/25832",
            {},
        ),
        (f"{ITEMS}?f=geojson", {"Accept-Encoding": "gzip"}),
        (f"{MANY}?limit=100", {"Accept-Encoding": "gzip"}),
        (f"{ITEMS}?bbox=0,0,1,1", {}),
    ],
)
def test_lean_path_answers_like_flask(
    clients: tuple[Client, Client, Client], url: str, headers: dict[str, str]
) -> None:
    lean, flask, _app = clients
    response = _same(lean, flask, url, headers=headers)
    assert response.status_code == 200
    doc = json.loads(_body(response))
    assert doc["type"] == "FeatureCollection" and doc["timeStamp"] == "2026-12-03T12:00:00Z"


def test_head_and_304_like_flask(clients: tuple[Client, Client, Client]) -> None:
    lean, flask, _app = clients
    url = f"{ITEMS}?{BBOX}&limit=5"
    first = _same(lean, flask, url)
    etag = first.headers["ETag"]
    head = _same(lean, flask, url, method="HEAD")
    assert head.status_code == 200 and head.data == b"" and head.headers["ETag"] == etag
    for headers in ({"If-None-Match": etag}, {"If-None-Match": etag, "Accept-Encoding": "gzip"}):
        fresh = _same(lean, flask, url, headers=headers)
        assert fresh.status_code == 304 and fresh.data == b"" and fresh.headers["ETag"] == etag
    stale = _same(lean, flask, url, headers={"If-None-Match": 'W/"veraltet"'})
    assert stale.status_code == 200


def test_paging_by_next_links_like_flask(clients: tuple[Client, Client, Client]) -> None:
    """Follow ``next`` (keyset cursor) through a layer of 257 points, both paths alike."""
    lean, flask, _app = clients
    url: str | None = f"{MANY}?limit=100&f=json"
    ids: list[Any] = []
    while url is not None:
        doc = json.loads(_same(lean, flask, url).data)
        ids += [feature["id"] for feature in doc["features"]]
        nxt = [link["href"] for link in doc["links"] if link["rel"] == "next"]
        url = None
        if nxt:
            parts = urlsplit(nxt[0])
            url = f"{parts.path}?{parts.query}"
            assert "cursor=" in parts.query
    assert len(ids) == len(set(ids)) == doc["numberMatched"] == 257


@pytest.mark.parametrize(
    ("url", "headers", "status"),
    [
        ("/ogc/collections/geheim/items", {}, 404),  # private: does not exist, as before
        ("/ogc/collections/gibt-es-nicht/items", {}, 404),
        (f"{ITEMS}?limit=abc", {}, 400),
        (f"{ITEMS}?limit=0", {}, 400),
        (f"{ITEMS}?bbox=1,2", {}, 400),
        (f"{ITEMS}?bbox=9,52,8,53", {}, 400),
        (f"{ITEMS}?crs=EPSG:1", {}, 400),
        (f"{ITEMS}?lang=fr", {}, 400),
        (f"{ITEMS}?f=xml", {}, 400),
        (f"{ITEMS}?cursor=kaputt", {}, 400),
        (f"{ITEMS}?properties=gibtsnicht", {}, 400),
        (f"{ITEMS}?bbox=9%00", {}, 400),
        (f"{ITEMS}?unbekannt=1", {}, 400),
        (f"{ITEMS}?limit=2", {"Accept": "image/png"}, 406),
        (f"{ITEMS}?filter=art='Bürgeramt'", {}, 200),  # other parameters: Flask's
        (f"{ITEMS}?sortby=-besucher", {}, 200),
        (f"{ITEMS}?art=Sonstiges", {}, 200),
        (f"{ITEMS}?f=html", {}, 200),
        (f"{ITEMS}?limit=2", {"Accept": "text/html"}, 200),
        (f"{ITEMS}/1", {}, 200),
    ],
)
def test_everything_else_goes_to_flask(
    clients: tuple[Client, Client, Client], url: str, headers: dict[str, str], status: int
) -> None:
    lean, flask, app = clients
    assert lean.get(url, headers=headers).status_code == DECLINED
    by_app, by_flask = app.get(url, headers=headers), flask.get(url, headers=headers)
    assert by_app.status_code == by_flask.status_code == status
    assert by_app.headers == by_flask.headers
    assert by_app.data == by_flask.data
    if status >= 400:
        problem = json.loads(by_app.data)
        assert set(problem) >= {"code", "description"}


def test_app_answers_items_on_the_lean_path(app: Flask, ogc_layers: list[str]) -> None:
    """The app as deployed has the lean path in front (``init_app`` of ``web/ogc``)."""
    chain: Any = app.wsgi_app
    while not isinstance(chain, LeanItems):
        chain = chain.wsgi_app
    assert chain.app is app
    response = Client(app).get(f"{ITEMS}?limit=2")
    assert response.status_code == 200 and "Cookie" not in response.headers["Vary"]


def test_common_items_statements_run_prepared_filters_planned(
    app: Flask, clients: tuple[Client, Client, Client]
) -> None:
    """The layer lookup and the page of a bbox request are server-side prepared statements
    (one generic plan, the bbox computed once per execution); a CQL2 filter is planned per
    request (store/featuredb.py)."""
    from buergergis.store.featuredb import FeatureDatabase

    db: FeatureDatabase = app.extensions["buergergis.ogc"]
    _lean, flask, _app = clients

    def prepared() -> list[str]:
        sql = "SELECT statement FROM pg_prepared_statements"
        return [row[0] for row in db._run(lambda conn: conn.execute(sql).fetchall())]

    assert flask.get(f"{ITEMS}?bbox=9.301,52.05,9.45,52.15&limit=3").status_code == 200
    statements = prepared()
    assert any("FROM buergergis.layer WHERE id" in s for s in statements)
    page = [s for s in statements if 'layers."buergeraemter"' in s and "(SELECT ST_Transform" in s]
    assert page, statements
    assert flask.get(f"{ITEMS}?filter=besucher>4711").status_code == 200
    assert set(prepared()) == set(statements)
