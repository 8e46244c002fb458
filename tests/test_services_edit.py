"""Staff edits of single features (new version, audit, atomicity) and the citizen offer pages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from buergergis.errors import Unavailable
from buergergis.services import config, edit, filters
from buergergis.store.catalog import get_layer
from buergergis.store.sql import layer_view
from tests.admin_support import Staff, csrf_token, editor, login_session  # noqa: F401
from tests.services_support import LOTS, Restorer, lots_with, restorer, value_of, version_of  # noqa: F401

pytestmark = pytest.mark.usefixtures("demo_layers")


@pytest.fixture()
def staff(app: Flask, editor: Staff) -> FlaskClient:  # noqa: F811
    return login_session(app.test_client(), editor)


def post_edit(staff: FlaskClient, role: str, fid: str, **values: str) -> Any:
    path = f"/admin/dienste/{role}/{fid}"
    page = staff.get(path).get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version, page[:300]
    data = {"csrf_token": csrf_token(staff, path), "version": version.group(1), **values}
    return staff.post(path, data=data)


def tables_of(engine: Engine, layer: str) -> set[str]:
    with engine.connect() as conn:
        return set(
            conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'layerdata' AND tablename LIKE :p"
                ),
                {"p": f"{layer}\\_\\_v%"},
            ).scalars()
        )


def test_opening_hours_are_checked_and_change_the_answer(
    staff: FlaskClient,
    client: FlaskClient,
    engine: Engine,
    restorer: Restorer,  # noqa: F811
) -> None:
    with engine.connect() as conn:
        fid = conn.execute(
            text(f"SELECT fid FROM {layer_view('buergeramt')} ORDER BY gid LIMIT 1")  # noqa: S608
        ).scalar_one()
    restorer.keep("buergeramt", fid, "oeffnungszeiten")
    before = version_of(engine, "buergeramt")
    bad = post_edit(staff, "buergeramt", fid, oeffnungszeiten="Mo-Fr 25:00-26:00")
    assert bad.status_code == 400 and "opening_hours" in bad.get_data(as_text=True)
    assert version_of(engine, "buergeramt") == before
    assert post_edit(staff, "buergeramt", fid, oeffnungszeiten="Su 20:00-23:00").status_code == 302
    assert value_of(engine, "buergeramt", fid, "oeffnungszeiten") == "Su 20:00-23:00"
    assert version_of(engine, "buergeramt") > before
    with engine.connect() as conn:
        lat, lon = conn.execute(
            text(
                f"SELECT ST_Y(ST_Transform(geom, 4326)), ST_X(ST_Transform(geom, 4326)) FROM {layer_view('buergeramt')} WHERE fid = :f"  # noqa: S608
            ),
            {"f": fid},
        ).one()
    body = client.get(
        f"/dienste/buergeramt/offen?lat={lat}&lon={lon}&at=2026-11-29T21:00"
    ).get_json()
    assert body["office"]["id"] == fid  # the only office open on a Sunday evening


def test_typed_values_choices_and_date_ranges(
    staff: FlaskClient,
    engine: Engine,
    restorer: Restorer,  # noqa: F811
) -> None:
    fid = restorer.keep(
        LOTS, lots_with(engine, "frei")[0], "preis_rm", "abholung_von", "abholung_bis", "status"
    )
    response = post_edit(
        staff, LOTS, fid, preis_rm="45,50", abholung_von="01.12.2026", abholung_bis="2027-02-28"
    )
    assert response.status_code == 302
    assert value_of(engine, LOTS, fid, "preis_rm") == 45.5
    assert str(value_of(engine, LOTS, fid, "abholung_von")) == "2026-12-01"
    version = version_of(engine, LOTS)
    for values, message in (
        ({"abholung_von": "2027-03-01"}, "Zeitraum"),
        ({"status": "geschenkt"}, "erlaubt: frei, reserviert, verkauft"),
        ({"preis_rm": "viel"}, "Zahl erwartet"),
        ({"abholung_bis": "31.02.2027"}, "Datum erwartet"),
    ):
        response = post_edit(staff, LOTS, fid, **values)
        assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert version_of(engine, LOTS) == version


def test_not_editable_attributes_are_ignored_and_no_change_makes_no_version(
    staff: FlaskClient, engine: Engine
) -> None:
    fid = lots_with(engine, "frei")[0]
    version = version_of(engine, LOTS)
    status = value_of(engine, LOTS, fid, "status")
    assert post_edit(staff, LOTS, fid, los_nr="GEHACKT", status=status).status_code == 302
    assert version_of(engine, LOTS) == version
    assert value_of(engine, LOTS, fid, "los_nr") == fid


def test_stale_form_is_refused(
    staff: FlaskClient,
    engine: Engine,
    restorer: Restorer,  # noqa: F811
) -> None:
    fid = restorer.keep(LOTS, lots_with(engine, "frei")[0], "hinweise")
    path = f"/admin/dienste/{LOTS}/{fid}"
    data = {
        "csrf_token": csrf_token(staff, path),
        "version": str(version_of(engine, LOTS) - 1),
        "hinweise": "x",
    }
    response = staff.post(path, data=data)
    assert response.status_code == 409 and "inzwischen geändert" in response.get_data(as_text=True)
    assert value_of(engine, LOTS, fid, "hinweise") != "x"


def test_a_failed_edit_leaves_nothing_behind(app: Flask, engine: Engine, monkeypatch: Any) -> None:
    fid = lots_with(engine, "frei")[0]
    version, tables = version_of(engine, LOTS), tables_of(engine, LOTS)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("Protokoll nicht erreichbar")

    monkeypatch.setattr(edit.audit, "record", broken)
    with engine.connect() as conn:
        record = get_layer(conn, LOTS)
    assert record is not None
    with pytest.raises(RuntimeError):
        edit.save(engine, record, fid, {"status": "verkauft"}, actor="t", keep=5)
    assert version_of(engine, LOTS) == version and tables_of(engine, LOTS) == tables
    assert value_of(engine, LOTS, fid, "status") == "frei"


def test_staff_feature_list_shows_live_values(staff: FlaskClient, engine: Engine) -> None:
    page = staff.get(f"/admin/dienste/{LOTS}").get_data(as_text=True)
    assert set(re.findall(r'<tr data-fid="([^"]+)"', page)) == set(
        lots_with(engine, "frei") + lots_with(engine, "reserviert") + lots_with(engine, "verkauft")
    )
    assert staff.get("/admin/dienste/unbekannt").status_code == 404


def offer_fids(client: FlaskClient, url: str) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return set(re.findall(r'<tr data-fid="([^"]+)"', response.get_data(as_text=True)))


@pytest.mark.parametrize(
    ("role", "column"), [("stellenangebote", "bewerbungsfrist"), ("ferienaktionen", "ende")]
)
def test_offer_pages_hide_past_entries_by_default(
    client: FlaskClient, engine: Engine, role: str, column: str
) -> None:
    with engine.connect() as conn:
        every = set(conn.execute(text(f"SELECT fid FROM {layer_view(role)}")).scalars())  # noqa: S608
        current = set(
            conn.execute(
                text(
                    f'SELECT fid FROM {layer_view(role)} WHERE "{column}" IS NULL OR "{column}" >= :d'  # noqa: S608
                ),
                {"d": filters.today()},
            ).scalars()
        )
    assert offer_fids(client, f"/dienste/{role}") == current
    assert offer_fids(client, f"/dienste/{role}?alle=1") == every


def test_offer_status_filter(client: FlaskClient, engine: Engine) -> None:
    with engine.connect() as conn:
        sold = set(
            conn.execute(
                text(f"SELECT fid FROM {layer_view('fahrzeugverkauf')} WHERE status = 'verkauft'")  # noqa: S608
            ).scalars()
        )
    assert offer_fids(client, "/dienste/fahrzeugverkauf?status=verkauft") == sold
    assert client.get("/dienste/fahrzeugverkauf?status=gestohlen").status_code == 400
    assert client.get("/dienste/gibtsnicht").status_code == 404


def test_own_views_find_their_layer_and_check_its_schema(engine: Engine) -> None:
    layers = config.ServiceLayers({"holzverkauf": "brennholz"})
    assert (
        layers.layer_id("holzverkauf") == "brennholz"
        and layers.role_of("brennholz") == "holzverkauf"
    )
    assert (
        layers.layer_id("buergeramt") == "buergeramt" and layers.role_of("ortsteile") == "ortsteile"
    )
    with engine.connect() as conn:
        ortsteile = get_layer(conn, "ortsteile")
    assert ortsteile is not None
    with pytest.raises(Unavailable) as err:
        config.check_schema(ortsteile, "holzverkauf")
    assert "holzart" in err.value.description
