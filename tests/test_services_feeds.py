"""Atom feeds: RFC 4287 validity, change tracking across versions, caching, escaping."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from lxml import etree, html
from sqlalchemy import Engine, text

from buergergis.services import filters
from buergergis.services.config import ServiceLayers
from buergergis.store.catalog import get_layer
from buergergis.store.services import edits
from buergergis.store.sql import layer_view
from tests.atom_check import A, violations
from tests.services_support import LOTS, Restorer, lots_with, restorer, version_of  # noqa: F401

pytestmark = pytest.mark.usefixtures("demo_layers")


def feed(client: FlaskClient, layer: str, **headers: str) -> Any:
    response = client.get(f"/feeds/{layer}.atom", headers=headers)
    assert response.status_code in (200, 304), response.get_data(as_text=True)
    return response


def entries(document: bytes) -> list[etree._Element]:
    return etree.fromstring(document).findall(A + "entry")


@pytest.mark.parametrize(
    "layer", ["holzverkauf", "stellenangebote", "kitas", "ortsteile", "buergeramt"]
)
def test_feeds_are_valid_atom(client: FlaskClient, engine: Engine, layer: str) -> None:
    response = feed(client, layer)
    assert response.mimetype == "application/atom+xml"
    assert violations(response.data) == []
    root = etree.fromstring(response.data)
    self_link = [el.get("href") for el in root.findall(A + "link") if el.get("rel") == "self"]
    assert self_link and self_link[0].endswith(f"/feeds/{layer}.atom")
    with engine.connect() as conn:
        count = conn.execute(text(f"SELECT count(*) FROM {layer_view(layer)}")).scalar_one()  # noqa: S608
    if layer != "stellenangebote":  # the others have no "hide past" rule
        assert len(entries(response.data)) == min(count, 50)


def test_hide_past_applies_to_the_jobs_feed(client: FlaskClient, engine: Engine) -> None:
    today = filters.today()
    with engine.connect() as conn:
        current = set(
            conn.execute(
                text(
                    f"SELECT fid FROM {layer_view('stellenangebote')} WHERE bewerbungsfrist IS NULL OR bewerbungsfrist >= :d"  # noqa: S608
                ),
                {"d": today},
            ).scalars()
        )
    got = {
        e.findtext(A + "id").rsplit("/", 1)[-1]
        for e in entries(feed(client, "stellenangebote").data)
    }
    assert got == current


def test_hide_past_condition_matches_sql_on_a_fixed_day(engine: Engine) -> None:
    day = datetime(2026, 11, 1).date()
    with engine.connect() as conn:
        for layer, column in (("stellenangebote", "bewerbungsfrist"), ("ferienaktionen", "ende")):
            record = get_layer(conn, layer)
            assert record is not None
            where = filters.current_only(record, ServiceLayers(), on=day)
            assert where is not None
            sql = f"SELECT count(*) FROM {layer_view(layer)} t {where.sql()}"  # noqa: S608
            got = conn.execute(text(sql), dict(where.params)).scalar_one()
            direct = conn.execute(
                text(
                    f'SELECT count(*) FROM {layer_view(layer)} WHERE "{column}" IS NULL OR "{column}" >= :d'  # noqa: S608
                ),
                {"d": day},
            ).scalar_one()
            total = conn.execute(text(f"SELECT count(*) FROM {layer_view(layer)}")).scalar_one()  # noqa: S608
            assert got == direct
            assert 0 < got < total or layer == "ferienaktionen"
        kitas = get_layer(conn, "kitas")
        assert kitas is not None and filters.current_only(kitas, ServiceLayers()) is None


def test_etag_and_not_modified(client: FlaskClient) -> None:
    first = feed(client, "kitas")
    etag = first.headers["ETag"]
    again = feed(client, "kitas", **{"If-None-Match": etag})
    assert again.status_code == 304 and not again.data


def test_edit_updates_the_entry_and_keeps_its_id(
    client: FlaskClient,
    engine: Engine,
    restorer: Restorer,  # noqa: F811
) -> None:
    fid = restorer.keep(LOTS, lots_with(engine, "frei")[0], "hinweise")
    before = feed(client, LOTS)
    old = {e.findtext(A + "id"): e for e in entries(before.data)}
    with engine.begin() as conn:
        edits.edit_feature(
            conn, LOTS, fid, {"hinweise": '<script>alert(1)</script> & "Co"'}, actor="t", keep=5
        )
    version = version_of(engine, LOTS)
    with engine.connect() as conn:
        created = conn.execute(
            text(
                "SELECT created_at FROM buergergis.layer_version WHERE layer_id = :id AND version = :v"
            ),
            {"id": LOTS, "v": version},
        ).scalar_one()
    after = feed(client, LOTS, **{"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and violations(after.data) == []
    top = entries(after.data)[0]
    entry_id = top.findtext(A + "id")
    assert entry_id.endswith(f"/items/{fid}") and entry_id in old
    assert top.findtext(A + "title").startswith("Geändert:")
    assert datetime.fromisoformat(top.findtext(A + "updated")) == created
    assert top.findtext(A + "published") == old[entry_id].findtext(A + "published")
    content = top.findtext(A + "content")
    assert "&lt;script&gt;" in content and "<script>" not in content
    fragment = html.fragment_fromstring(content, create_parent="div")
    assert (
        not fragment.xpath("//script")
        and '<script>alert(1)</script> & "Co"' in fragment.text_content()
    )


def test_unknown_and_raster_layers_have_no_feed(client: FlaskClient) -> None:
    for layer in ("gibt-es-nicht", "gelaende"):
        response = client.get(f"/feeds/{layer}.atom")
        assert response.status_code == 404
        assert response.get_json()["code"] == "NotFound"


def test_pages_link_their_feed(client: FlaskClient) -> None:
    page = client.get("/dienste/stellenangebote").get_data(as_text=True)
    assert (
        'rel="alternate" type="application/atom+xml"' in page
        and "/feeds/stellenangebote.atom" in page
    )
    assert "/feeds/holzverkauf.atom" in client.get("/holzverkauf").get_data(as_text=True)
    listing = client.get("/liste/holzverkauf").get_data(as_text=True)  # the maps engineer's page
    assert 'rel="alternate" type="application/atom+xml"' in listing
    assert 'href="/feeds/holzverkauf.atom" type="application/atom+xml"' in listing
    city_map = client.get("/").get_data(as_text=True)
    assert 'href="/feeds/kitas.atom"' in city_map
