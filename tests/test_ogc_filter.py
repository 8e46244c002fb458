"""Part 3 (Filtering) and CQL2, sortby, properties, near; SQL built with bind parameters only."""

from __future__ import annotations

import json
from urllib.parse import quote

import cql2
import pytest
import shapely
from flask.testing import FlaskClient
from pyproj import Transformer
from sqlalchemy import Engine

from buergergis.catalog.models import Attribute, Source, VectorLayer
from buergergis.errors import InvalidParameter
from buergergis.settings import Settings
from buergergis.store.catalog import LayerRecord
from buergergis.store.cql import Binder, CqlTranslator
from buergergis.store.crs import CRS84
from buergergis.store.features import ItemsQuery, SortKey, build_count, build_items
from tests.ogc_support import frame_of

ITEMS = "/ogc/collections/{}/items"


def names(client: FlaskClient, layer: str, **params: str) -> list[str]:
    """Values of ``name`` (or ``titel``) of all matching features."""
    response = client.get(ITEMS.format(layer), query_string={"limit": 1000, **params})
    assert response.status_code == 200, response.json
    return [
        f["properties"].get("name", f["properties"].get("titel")) for f in response.json["features"]
    ]


def test_queryables_are_json_schema(client: FlaskClient, ogc_layers: list[str]) -> None:
    response = client.get("/ogc/collections/buergeraemter/queryables")
    assert response.mimetype == "application/schema+json"
    doc = response.json
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert doc["$id"].endswith("/collections/buergeraemter/queryables")
    assert doc["properties"]["geometry"]["format"] == "geometry-point"
    assert doc["properties"]["eroeffnet"] == {
        "title": "Eröffnet",
        "type": "string",
        "format": "date",
    }
    assert doc["properties"]["besucher"]["type"] == "integer"
    sortables = client.get("/ogc/collections/buergeraemter/sortables").json
    assert "geometry" not in sortables["properties"] and "name" in sortables["properties"]


@pytest.mark.parametrize(
    ("cql", "expected"),
    [
        ("name = 'Rathaus'", ["Rathaus"]),
        (
            "name <> 'Rathaus' AND art = 'Sonstiges'",
            [
                "Stadtmühle",
                "Alte Mühle Wehrbergen",
                "Muhle am Wall",
                "Stadtbücherei",
                "Tourist-Information",
                "Hochzeitshaus",
                "Theater Hameln",
            ],
        ),
        ("name LIKE 'Bürgeramt%'", ["Bürgeramt Mitte", "Bürgeramt Nord", "Bürgeramt Klein Berkel"]),
        ("name LIKE '%M_hle%'", ["Alte Mühle Wehrbergen", "Muhle am Wall"]),
        ("name NOT LIKE '%e%'", ["Rathaus", "Tourist-Information"]),
        ("CASEI(name) = CASEI('RATHAUS')", ["Rathaus"]),
        ("CASEI(name) LIKE CASEI('%MÜHLE%')", ["Stadtmühle", "Alte Mühle Wehrbergen"]),
        ("ACCENTI(name) LIKE ACCENTI('%Muhle%')", ["Alte Mühle Wehrbergen", "Muhle am Wall"]),
        (
            "CASEI(ACCENTI(name)) LIKE CASEI(ACCENTI('%muhle%'))",
            ["Stadtmühle", "Alte Mühle Wehrbergen", "Muhle am Wall"],
        ),
        ("ACCENTI(CASEI(name)) = ACCENTI(CASEI('STADTMUHLE'))", ["Stadtmühle"]),
        (
            "plz IN ('31787', '31789')",
            [
                "Bürgeramt Nord",
                "Bürgeramt Klein Berkel",
                "Alte Mühle Wehrbergen",
                "Bürgerbüro Afferde",
            ],
        ),
        ("plz NOT IN ('31785', '31787', '31789')", []),
        ("plz IS NULL", ["Muhle am Wall"]),
        (
            "eroeffnet BETWEEN DATE('2003-01-01') AND DATE('2004-12-31')",
            ["Stadtmühle", "Alte Mühle Wehrbergen"],
        ),
        ("eroeffnet > DATE('2010-06-01')", ["Hochzeitshaus", "Theater Hameln"]),
        ("geaendert >= TIMESTAMP('2024-10-27T18:00:00Z')", ["Hochzeitshaus", "Theater Hameln"]),
        ("geaendert > TIMESTAMP('2024-10-27T18:00:00Z')", ["Theater Hameln"]),
        (
            "besucher > 0 AND NOT barrierefrei",
            ["Bürgeramt Mitte", "Stadtmühle", "Rathaus", "Tourist-Information"],
        ),
        (
            "barrierefrei = false",
            ["Bürgeramt Mitte", "Stadtmühle", "Rathaus", "Tourist-Information"],
        ),
        ("besucher > flaeche", None),
        ("T_AFTER(eroeffnet, DATE('2010-06-01'))", ["Hochzeitshaus", "Theater Hameln"]),
        ("T_BEFORE(eroeffnet, DATE('2001-01-01'))", ["Bürgeramt Mitte"]),
        (
            "T_DURING(eroeffnet, INTERVAL('2003-01-01', '2004-12-31'))",
            ["Stadtmühle", "Alte Mühle Wehrbergen"],
        ),
        ("T_INTERSECTS(eroeffnet, INTERVAL('2011-01-01', '..'))", ["Theater Hameln"]),
        ("T_EQUALS(eroeffnet, DATE('2003-04-04'))", ["Stadtmühle"]),
        ("T_DISJOINT(eroeffnet, INTERVAL('..', '2010-12-31'))", ["Theater Hameln"]),
    ],
)
def test_cql2_text(
    client: FlaskClient, engine: Engine, ogc_layers: list[str], cql: str, expected: list[str] | None
) -> None:
    got = names(client, "buergeraemter", filter=cql)
    if expected is None:  # property-property: compare with the database
        frame = frame_of(engine, "buergeraemter")
        expected = list(frame[frame.besucher > frame.flaeche]["name"])
    assert sorted(got) == sorted(expected)


@pytest.mark.parametrize(
    ("cql", "select"),
    [
        ('"flaeche" * 2 > 1000', lambda f: f.flaeche * 2 > 1000),
        ("-besucher < -2500", lambda f: -f.besucher < -2500),
        ("-(besucher + 1) >= -1000", lambda f: -(f.besucher + 1) >= -1000),
        ("besucher / 4 > flaeche", lambda f: f.besucher / 4 > f.flaeche),
        ("besucher % 2 = 0", lambda f: f.besucher % 2 == 0),
        ("besucher div 1000 = 2", lambda f: f.besucher // 1000 == 2),
        ("2 ^ 3 + besucher - 8 BETWEEN 100 AND 3000", lambda f: f.besucher.between(100, 3000)),
        ("besucher / 0 > 1", lambda f: f.besucher < 0),  # a zero divisor matches nothing
    ],
)
def test_cql2_arithmetic(client: FlaskClient, engine: Engine, ogc_layers: list[str], cql, select):
    frame = frame_of(engine, "buergeraemter")
    expected = sorted(frame[select(frame)]["name"])
    assert sorted(names(client, "buergeraemter", filter=cql)) == expected
    as_json = cql2.parse_text(cql).to_json()
    got = names(client, "buergeraemter", filter=json.dumps(as_json), **{"filter-lang": "cql2-json"})
    assert sorted(got) == expected


def test_arithmetic_is_a_declared_conformance_class(client: FlaskClient) -> None:
    classes = client.get("/ogc/conformance", query_string={"f": "json"}).json["conformsTo"]
    assert "http://www.opengis.net/spec/cql2/1.0/conf/arithmetic" in classes


def test_accent_insensitive_search_finds_the_mill(
    client: FlaskClient, ogc_layers: list[str]
) -> None:
    got = names(client, "buergeraemter", filter="ACCENTI(name) = ACCENTI('Stadtmuhle')")
    assert got == ["Stadtmühle"]


def test_cql2_json_equals_cql2_text(client: FlaskClient, ogc_layers: list[str]) -> None:
    pairs = [
        (
            {"op": "between", "args": [{"property": "besucher"}, 100, 3000]},
            "besucher BETWEEN 100 AND 3000",
        ),
        (
            {
                "op": "like",
                "args": [
                    {"op": "accenti", "args": [{"property": "name"}]},
                    {"op": "accenti", "args": ["%muhle%"]},
                ],
            },
            "ACCENTI(name) LIKE ACCENTI('%muhle%')",
        ),
        ({"op": "in", "args": [{"property": "plz"}, ["31787"]]}, "plz IN ('31787')"),
        (
            {
                "op": "s_intersects",
                "args": [{"property": "geometry"}, {"bbox": [9.3, 52.08, 9.4, 52.12]}],
            },
            "S_INTERSECTS(geometry, BBOX(9.3, 52.08, 9.4, 52.12))",
        ),
        (
            {"op": "t_after", "args": [{"property": "eroeffnet"}, {"date": "2005-01-01"}]},
            "T_AFTER(eroeffnet, DATE('2005-01-01'))",
        ),
    ]
    for as_json, as_text in pairs:
        by_json = names(
            client, "buergeraemter", filter=json.dumps(as_json), **{"filter-lang": "cql2-json"}
        )
        assert by_json == names(client, "buergeraemter", filter=as_text) and by_json, as_text


def test_spatial_functions(client: FlaskClient, engine: Engine, ogc_layers: list[str]) -> None:
    frame = frame_of(engine, "messpunkte").to_crs("OGC:CRS84")
    polygon = shapely.Polygon([(9.33, 52.08), (9.38, 52.08), (9.38, 52.12), (9.33, 52.08)])
    inside = set(frame[frame.within(polygon)].fid)
    for op in ("S_INTERSECTS", "S_WITHIN"):
        doc = client.get(
            ITEMS.format("messpunkte"),
            query_string={"limit": 1000, "filter": f"{op}(geometry, {polygon.wkt})"},
        ).json
        assert {f["id"] for f in doc["features"]} == inside and inside
    doc = client.get(
        ITEMS.format("messpunkte"),
        query_string={"limit": 1000, "filter": f"S_DISJOINT(geometry, {polygon.wkt})"},
    ).json
    assert doc["numberMatched"] == len(frame) - len(inside)
    lines = client.get(
        ITEMS.format("radwege"),
        query_string={
            "filter": f"S_CROSSES(geometry, {polygon.boundary.wkt}) OR S_TOUCHES(geometry, {polygon.wkt})"
        },
    )
    assert lines.status_code == 200
    gemeinden = client.get(
        ITEMS.format("gemeinden"),
        query_string={"filter": "S_CONTAINS(geometry, POINT(9.3563 52.1035))"},
    ).json
    assert [f["properties"]["gen"] for f in gemeinden["features"]] == ["Hameln"]


def test_filter_crs(client: FlaskClient, ogc_layers: list[str]) -> None:
    x, y = Transformer.from_crs("OGC:CRS84", "EPSG:25832", always_xy=True).transform(
        9.3563, 52.1035
    )
    for crs, point in (
        ("http://www.opengis.net/def/crs/EPSG/0/25832", f"POINT({x} {y})"),
        ("http://www.opengis.net/def/crs/EPSG/0/4326", "POINT(52.1035 9.3563)"),
    ):
        doc = client.get(
            ITEMS.format("gemeinden"),
            query_string={"filter": f"S_CONTAINS(geometry, {point})", "filter-crs": crs},
        ).json
        assert [f["properties"]["gen"] for f in doc["features"]] == ["Hameln"], crs


def test_temporal_intervals_of_features(
    client: FlaskClient, engine: Engine, ogc_layers: list[str]
) -> None:
    frame = frame_of(engine, "baustellen")
    running = frame[frame.ende.isna()]
    got = names(client, "baustellen", filter="ende IS NULL")
    assert sorted(got) == sorted(running.titel) and len(got) == 2
    cql = "T_INTERSECTS(INTERVAL(beginn, ende), INTERVAL('2025-06-01', '2025-06-30'))"
    assert client.get(ITEMS.format("baustellen"), query_string={"filter": cql}).status_code == 200


def test_queryables_as_query_parameters(client: FlaskClient, ogc_layers: list[str]) -> None:
    assert names(client, "buergeraemter", art="Bürgeramt") == [
        "Bürgeramt Mitte",
        "Bürgeramt Nord",
        "Bürgeramt Klein Berkel",
        "Bürgerbüro Afferde",
    ]
    assert names(client, "buergeraemter", plz="31789", barrierefrei="true") == [
        "Bürgeramt Klein Berkel",
        "Bürgerbüro Afferde",
    ]
    assert names(client, "buergeraemter", art="Bürgeramt", filter="plz = '31785'") == [
        "Bürgeramt Mitte"
    ]


@pytest.mark.parametrize(
    "cql",
    [
        "name =",
        "name > 5",
        "unbekannt = 1",
        "geometry = 'x'",
        "S_INTERSECTS(geometry, POLYGON((0 0, 1 1)))",
        "S_INTERSECTS(geometry, POLYGON((0 0, 1 1, 1 0, 0 1, 0 0)))",
        "S_INTERSECTS(geometry, POINT(500 500))",
        "S_INTERSECTS(name, POINT(9 52))",
        "T_AFTER(name, DATE('2020-01-01'))",
        "eroeffnet > DATE('2020-13-45')",
        "besucher = 1e400",
        "CASEI(besucher) = 'x'",
        "name IN ()",
        "foo(name) = 1",
        "name * 2 > 3",
        "besucher + 'x' > 3",
        "besucher + barrierefrei > 3",
        "S_DWITHIN(geometry, POINT(9 52), 5)",
        "(" * 60 + "name = 'a'" + ")" * 60,
        "name = 'a' " + "OR name = 'b' " * 500,
        "'); DROP TABLE buergergis.layer; --",
        '"name"; DELETE FROM buergergis.layer',
    ],
)
def test_bad_filters_are_400(client: FlaskClient, ogc_layers: list[str], cql: str) -> None:
    response = client.get(ITEMS.format("buergeraemter"), query_string={"filter": cql})
    assert response.status_code == 400, (cql, response.data)
    assert response.json["code"] == "InvalidParameterValue"
    assert client.get("/ogc/collections").status_code == 200


def test_bad_cql2_json_and_filter_lang(client: FlaskClient, ogc_layers: list[str]) -> None:
    for body in ("{", "[1]", '{"op": "=", "args": [1]}', '{"op": "nope", "args": []}', "a" * 30000):
        response = client.get(
            ITEMS.format("buergeraemter"), query_string={"filter": body, "filter-lang": "cql2-json"}
        )
        assert response.status_code == 400, body
    response = client.get(
        ITEMS.format("buergeraemter"), query_string={"filter": "true", "filter-lang": "ecql"}
    )
    assert response.status_code == 400


def test_sortby_several_keys_and_stable_paging(
    client: FlaskClient, engine: Engine, ogc_layers: list[str]
) -> None:
    doc = client.get(
        ITEMS.format("messpunkte"), query_string={"limit": 1000, "sortby": "gruppe,-wert"}
    ).json
    keys = [(f["properties"]["gruppe"], -f["properties"]["wert"]) for f in doc["features"]]
    assert keys == sorted(keys)
    frame = frame_of(engine, "messpunkte").sort_values(
        ["gruppe", "wert", "gid"], ascending=[True, False, True]
    )
    assert [f["id"] for f in doc["features"]] == list(frame.fid)
    paged = []
    for offset in range(0, 257, 20):
        page = client.get(
            ITEMS.format("messpunkte"),
            query_string={"limit": 20, "offset": offset, "sortby": "gruppe,-wert"},
        ).json
        paged += [f["id"] for f in page["features"]]
    assert paged == list(frame.fid)


def test_properties_selects_returned_attributes(client: FlaskClient, ogc_layers: list[str]) -> None:
    doc = client.get(ITEMS.format("buergeraemter"), query_string={"properties": "name,plz"}).json
    assert all(set(f["properties"]) == {"name", "plz"} for f in doc["features"])
    doc = client.get(ITEMS.format("buergeraemter"), query_string={"properties": ""}).json
    assert all(f["properties"] == {} for f in doc["features"])
    one = client.get(ITEMS.format("buergeraemter") + "/1", query_string={"properties": "art"}).json
    assert one["properties"] == {"art": "Bürgeramt"}


def test_nearest_buergeramt(client: FlaskClient, engine: Engine, ogc_layers: list[str]) -> None:
    frame = frame_of(engine, "buergeraemter")
    x, y = Transformer.from_crs("OGC:CRS84", "EPSG:25832", always_xy=True).transform(
        9.3563, 52.1035
    )
    frame["d"] = frame.geom.distance(shapely.Point(x, y))
    wanted = frame[frame.art == "Bürgeramt"].sort_values("d")
    doc = client.get(
        ITEMS.format("buergeraemter"),
        query_string={"near": "9.3563,52.1035", "art": "Bürgeramt", "limit": 2},
    ).json
    assert [f["properties"]["name"] for f in doc["features"]] == list(wanted.name[:2])
    assert abs(doc["features"][0]["distance"] - wanted.d.iloc[0]) < 0.1
    latlon = client.get(
        ITEMS.format("buergeraemter"),
        query_string={
            "near": "52.1035,9.3563",
            "near-crs": "EPSG:4326",
            "art": "Bürgeramt",
            "limit": 2,
        },
    ).json
    assert [f["id"] for f in latlon["features"]] == [f["id"] for f in doc["features"]]


def test_nearest_uses_the_spatial_index(engine: Engine, ogc_layers: list[str]) -> None:
    layer = _record(engine, "messpunkte")
    from buergergis.store.features import Near

    stmt = build_items(layer, ItemsQuery(limit=3, near=Near(9.3563, 52.1035)))
    with engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + stmt.sql, stmt.params))
    assert "Order By: (geom <->" in plan  # KNN scan for the radius of the page
    assert "Index Cond: (geom && st_expand" in plan  # GiST for the page itself
    assert "Seq Scan on messpunkte" not in plan


def _record(engine: Engine, layer_id: str) -> LayerRecord:
    from buergergis.store.catalog import get_layer

    with engine.connect() as conn:
        record = get_layer(conn, layer_id)
    assert record is not None
    return record


def test_sql_has_only_bind_parameters(engine: Engine, ogc_layers: list[str]) -> None:
    layer = _record(engine, "buergeraemter")
    evil = "x'; DROP TABLE buergergis.layer; --"
    query = ItemsQuery(
        limit=5,
        filter={"op": "=", "args": [{"property": "name"}, evil]},
        sortby=(SortKey("name", True),),
    )
    stmt = build_items(layer, query)
    assert evil not in stmt.sql and "DROP" not in stmt.sql
    assert evil in stmt.params.values()
    assert 'layers."buergeraemter"' in stmt.sql and 't."name" DESC' in stmt.sql
    with engine.connect() as conn:
        row = conn.exec_driver_sql(stmt.sql, stmt.params).one()
        count = build_count(layer, query)
        assert conn.exec_driver_sql(count.sql, count.params).scalar_one() == 0
    assert row.returned == 0 and row.matched is None  # empty page: counted on its own


def test_number_matched_behind_the_last_page_with_a_filter(
    client: FlaskClient, ogc_layers: list[str]
) -> None:
    doc = client.get(
        ITEMS.format("messpunkte"), query_string={"filter": "gruppe = 'a'", "offset": 5000}
    ).json
    full = client.get(
        ITEMS.format("messpunkte"), query_string={"filter": "gruppe = 'a'", "limit": 1000}
    ).json
    assert doc["numberReturned"] == 0 and doc["numberMatched"] == full["numberReturned"] > 0


def test_translator_refuses_unknown_columns_before_sql() -> None:
    translator = CqlTranslator({"name": "text"}, CRS84, Binder())
    with pytest.raises(InvalidParameter):
        translator.where({"op": "=", "args": [{"property": 'name" OR 1=1 --'}, "x"]})
    sql = translator.where({"op": "=", "args": [{"property": "name"}, "x"]})
    assert sql == 't."name" = CAST(%(p0)s AS text)'


def test_filter_on_layer_with_attribute_named_geometry(
    engine: Engine, settings: Settings, client: FlaskClient, tmp_path
) -> None:
    import geopandas as gpd

    from buergergis.ingest.pipeline import load_layer

    path = tmp_path / "geo.gpkg"
    gpd.GeoDataFrame(
        {"geometrie_art": ["a"]}, geometry=[shapely.Point(525_000, 5_773_000)], crs="EPSG:25832"
    ).to_file(path, engine="pyogrio")
    load_layer(
        engine,
        settings,
        VectorLayer(
            id="geoattr",
            title="G",
            source=Source(path=str(path)),
            attributes=(Attribute(name="geometrie_art"),),
        ),
    )
    response = client.get(
        ITEMS.format("geoattr"),
        query_string={"filter": "S_INTERSECTS(geom, BBOX(9, 52, 10, 53)) AND geometrie_art = 'a'"},
    )
    assert response.json["numberMatched"] == 1
    assert quote("geometrie_art") in client.get("/ogc/api").get_data(as_text=True)


def test_filtered_pages_follow_gid_order(
    client: FlaskClient, engine: Engine, ogc_layers: list[str]
) -> None:
    frame = frame_of(engine, "messpunkte")
    wanted = list(frame[frame.wert >= 5].sort_values("gid").fid)
    paged: list[str] = []
    for offset in range(0, len(wanted) + 1, 7):
        page = client.get(
            ITEMS.format("messpunkte"),
            query_string={"filter": "wert >= 5", "limit": 7, "offset": offset},
        ).json
        assert page["numberMatched"] == len(wanted)
        paged += [f["id"] for f in page["features"]]
    assert paged == wanted
