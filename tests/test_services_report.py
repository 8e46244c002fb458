"""„Mein Ort" and the nearest open Bürgeramt, checked against direct PostGIS queries."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from buergergis.services.opening import BERLIN, status
from buergergis.store.sql import layer_view

P = "ST_Transform(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 25832)"
OUTSIDE = (52.5, 9.0)  # north of Hanover: no Hameln layer contains it


@pytest.fixture(scope="module")
def points(engine: Engine, demo_layers: list[str]) -> list[tuple[float, float]]:
    """One point inside every Ortsteil, one inside a wood lot, one outside the city."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT ST_Y(p), ST_X(p) FROM (SELECT ST_Transform(ST_PointOnSurface(geom), 4326) p"  # noqa: S608
                f" FROM {layer_view('ortsteile')} UNION ALL SELECT ST_Transform("
                f"(SELECT ST_PointOnSurface(geom) FROM {layer_view('holzverkauf')} ORDER BY gid"
                " LIMIT 1), 4326)) s"
            )
        ).all()
    return [(float(lat), float(lon)) for lat, lon in rows] + [OUTSIDE]


def report(client: FlaskClient, lat: float, lon: float, at: str = "2026-11-26T15:00") -> Any:
    response = client.get(f"/mein-ort.json?lat={lat}&lon={lon}&at={at}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def polygon_layers(conn: Any) -> list[str]:
    return list(
        conn.execute(
            text(
                "SELECT id FROM buergergis.layer WHERE public AND kind = 'vector' AND version > 0"
                " AND geometry_type ILIKE '%polygon%' ORDER BY id"
            )
        ).scalars()
    )


def test_areas_are_exactly_the_containing_polygons(
    client: FlaskClient, engine: Engine, points: list[tuple[float, float]]
) -> None:
    with engine.connect() as conn:
        layers = polygon_layers(conn)
        assert {"ortsteile", "holzverkauf", "stadtgebiet"} <= set(layers)
        for lat, lon in points:
            expected = set()
            for layer in layers:
                sql = f"SELECT fid FROM {layer_view(layer)} WHERE ST_Contains(geom, {P})"  # noqa: S608
                expected |= {
                    (layer, f) for f in conn.execute(text(sql), {"lat": lat, "lon": lon}).scalars()
                }
            body = report(client, lat, lon)
            got = {(a["layer"], f["id"]) for a in body["areas"] for f in a["features"]}
            assert got == expected
            ortsteil = conn.execute(
                text(
                    f"SELECT fid, name FROM {layer_view('ortsteile')} WHERE ST_Contains(geom, {P})"  # noqa: S608
                ),
                {"lat": lat, "lon": lon},
            ).one_or_none()
            assert (body["ortsteil"] or {}).get("name") == (ortsteil.name if ortsteil else None)
    assert sum(1 for lat, lon in points if report(client, lat, lon)["ortsteil"]) == len(points) - 1


def test_nearest_kitas_and_free_lots_match_postgis(
    client: FlaskClient, engine: Engine, points: list[tuple[float, float]]
) -> None:
    kitas_sql = (
        f"SELECT fid, round(ST_Distance(geom, {P})::numeric, 1) AS d FROM {layer_view('kitas')}"  # noqa: S608
        f" ORDER BY ST_Distance(geom, {P}), gid LIMIT 3"
    )
    lots_sql = (
        f"SELECT fid, round(ST_Distance(geom, {P})::numeric, 1) AS d FROM {layer_view('holzverkauf')}"  # noqa: S608
        f" WHERE status = 'frei' AND ST_Distance(geom, {P}) <= 10000"
        f" ORDER BY ST_Distance(geom, {P}), gid LIMIT 5"
    )
    with engine.connect() as conn:
        for lat, lon in points:
            body = report(client, lat, lon)
            params = {"lat": lat, "lon": lon}
            kitas = [(r.fid, float(r.d)) for r in conn.execute(text(kitas_sql), params)]
            lots = [(r.fid, float(r.d)) for r in conn.execute(text(lots_sql), params)]
            assert [(k["id"], k["distance_m"]) for k in body["kitas"]] == kitas
            assert [(k["id"], k["distance_m"]) for k in body["holzverkauf"]] == lots
            assert all(k["status"] == "frei" for k in body["holzverkauf"])


def offices_by_distance(conn: Any, lat: float, lon: float) -> list[Any]:
    sql = (
        f"SELECT fid, oeffnungszeiten, round(ST_Distance(geom, {P})::numeric, 1) AS d"  # noqa: S608
        f" FROM {layer_view('buergeramt')} ORDER BY ST_Distance(geom, {P}), gid"
    )
    return conn.execute(text(sql), {"lat": lat, "lon": lon}).all()


@pytest.mark.parametrize("at", ["2026-11-26T15:00", "2026-11-24T10:00", "2026-11-27T10:30"])
def test_nearest_open_office_from_every_office(
    client: FlaskClient, engine: Engine, demo_layers: Any, at: str
) -> None:
    moment = datetime.fromisoformat(at).replace(tzinfo=BERLIN)
    with engine.connect() as conn:
        starts = conn.execute(
            text(
                f"SELECT ST_Y(ST_Transform(geom, 4326)), ST_X(ST_Transform(geom, 4326)) FROM {layer_view('buergeramt')}"  # noqa: S608
            )
        ).all()
        for lat, lon in starts:
            ranked = offices_by_distance(conn, lat, lon)
            expected = next((r for r in ranked if status(r.oeffnungszeiten, moment).is_open), None)
            body = client.get(f"/dienste/buergeramt/offen?lat={lat}&lon={lon}&at={at}").get_json()
            if expected is None:
                assert body["office"] is None
            else:
                assert body["office"]["id"] == expected.fid
                assert body["office"]["distance_m"] == float(expected.d)
                assert body["office"]["status"]["open"] is True


def test_nearest_open_skips_closed_offices_somewhere(
    client: FlaskClient, engine: Engine, demo_layers: Any
) -> None:
    """At least one office's nearest open office is another one (the test can tell them apart)."""
    at = "2026-11-26T15:00"
    moment = datetime.fromisoformat(at).replace(tzinfo=BERLIN)
    with engine.connect() as conn:
        ranked = [offices_by_distance(conn, lat, lon) for lat, lon in conn.execute(
            text(f"SELECT ST_Y(ST_Transform(geom, 4326)), ST_X(ST_Transform(geom, 4326)) FROM {layer_view('buergeramt')}")  # noqa: S608
        )]  # fmt: skip
    assert any(not status(r[0].oeffnungszeiten, moment).is_open for r in ranked)


def test_reformationstag_no_office_open_and_next_opening(
    client: FlaskClient, engine: Engine, demo_layers: Any
) -> None:
    at = "2025-10-31T10:00"
    body = client.get(f"/dienste/buergeramt/offen?lat=52.1035&lon=9.3575&at={at}").get_json()
    assert body["office"] is None
    moment = datetime.fromisoformat(at).replace(tzinfo=BERLIN)
    with engine.connect() as conn:
        ranked = offices_by_distance(conn, 52.1035, 9.3575)
    changes = sorted(
        (status(r.oeffnungszeiten, moment).next_change, float(r.d), r.fid) for r in ranked
    )
    assert body["opens_next"]["id"] == changes[0][2]
    assert body["opens_next"]["status"]["holiday"] == "Reformationstag"


def test_report_page_is_printable_with_the_note_and_no_cookie(
    client: FlaskClient, points: list[tuple[float, float]]
) -> None:
    lat, lon = points[0]
    response = client.get(f"/mein-ort?lat={lat}&lon={lon}")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "Set-Cookie" not in response.headers
    page = response.get_data(as_text=True)
    assert "Keine amtliche Auskunft" in page
    assert report(client, lat, lon)["ortsteil"]["name"] in page
    assert "@media print" in client.get("/static/services/services.css").get_data(as_text=True)
    assert "<form" in client.get("/mein-ort").get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("lon=9.35", "'lat'"),
        ("lat=abc&lon=9.35", "Zahl"),
        ("lat=200&lon=9.35", "zwischen"),
        ("lat=52.1&lon=9.35&at=gestern", "Zeitpunkt"),
        ("adresse=Xylophonweg 1", "nicht gefunden"),
    ],
)
def test_bad_input_gives_german_4xx(
    client: FlaskClient, demo_layers: Any, query: str, fragment: str
) -> None:
    response = client.get(f"/mein-ort.json?{query}")
    assert 400 <= response.status_code < 500
    assert fragment in response.get_json()["description"]
    page = client.get(f"/mein-ort?{query}", headers={"Accept": "text/html"})
    assert 400 <= page.status_code < 500 and page.mimetype == "text/html"
    assert fragment.replace("'", "&#39;") in page.get_data(as_text=True)


def test_offices_page_shows_status_and_nearest(client: FlaskClient, demo_layers: Any) -> None:
    page = client.get("/dienste/buergeramt?lat=52.1035&lon=9.3575&at=2026-11-26T15:00")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="open-office"' in html and "Jetzt geöffnet" in html
    assert page.headers["Cache-Control"] == "no-store"


def test_address_search_where_an_address_layer_exists(
    app: Any, client: FlaskClient, engine: Engine, demo_layers: Any
) -> None:
    from buergergis.services.config import ServiceLayers

    before = app.extensions.get("buergergis_services")
    app.extensions["buergergis_services"] = ServiceLayers({"adressen": "kitas"})
    try:
        with engine.connect() as conn:
            kita = conn.execute(
                text(
                    "SELECT name, adresse, ST_Y(ST_Transform(ST_PointOnSurface(geom), 4326)) AS lat,"  # noqa: S608
                    f" ST_X(ST_Transform(ST_PointOnSurface(geom), 4326)) AS lon FROM {layer_view('kitas')}"
                    " ORDER BY gid LIMIT 1"
                )
            ).one()
        body = client.get(f"/mein-ort.json?adresse={kita.name}").get_json()
        assert body["point"]["label"] == kita.name
        assert (
            abs(body["point"]["lat"] - kita.lat) < 1e-9
            and abs(body["point"]["lon"] - kita.lon) < 1e-9
        )
        assert body["kitas"][0]["name"] == kita.name and body["kitas"][0]["distance_m"] == 0
        missing = client.get("/mein-ort.json?adresse=Gibtsnichtweg 999 xyz")
        assert missing.status_code == 404 and "nicht gefunden" in missing.get_json()["description"]
    finally:
        app.extensions["buergergis_services"] = before


def test_report_names_lots_with_their_units(
    client: FlaskClient, points: list[tuple[float, float]]
) -> None:
    """„Mein Ort" lists free lots as "12,5 rm zu 38,5 €" from the layer's units (no-break
    spaces); the JSON keeps plain numbers."""
    lat, lon = points[-2]  # inside a wood lot
    body = report(client, lat, lon)
    assert body["holzverkauf"], "kein freies Los in der Nähe"
    assert isinstance(body["holzverkauf"][0]["preis_rm"], int | float)
    for lang, pattern in (
        ("de", r"[0-9.,]+\u00a0rm zu [0-9.,]+\u00a0€"),
        ("en", r"[0-9.,]+\u00a0stacked m³ at [0-9.,]+\u00a0€"),
    ):
        page = client.get(f"/mein-ort?lat={lat}&lon={lon}&lang={lang}").get_data(as_text=True)
        lots = re.search(r'<ol data-testid="lots">(.*?)</ol>', page, re.S)
        assert lots is not None
        found = re.findall(pattern, lots.group(1))
        assert len(found) == len(body["holzverkauf"]), (lang, lots.group(1))
