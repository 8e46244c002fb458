"""OGC API – Features Part 1 (Core): endpoints, negotiation, paging, bbox, datetime, errors."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine

from buergergis.settings import Settings
from tests.ogc_support import frame_of

ITEMS = "/ogc/collections/{}/items"


def _rels(doc: dict) -> dict[str, str]:
    return {link["rel"]: link["href"] for link in doc["links"] if link.get("type") != "text/html"}


def test_landing_links_everything(client: FlaskClient, ogc_layers: list[str]) -> None:
    doc = client.get("/ogc/").json
    rels = {link["rel"] for link in doc["links"]}
    assert {"self", "alternate", "service-desc", "service-doc", "conformance", "data"} <= rels
    for link in doc["links"]:
        path = link["href"].removeprefix("http://localhost")
        assert client.get(path).status_code == 200, path


def test_conformance_declares_core_crs_filter(client: FlaskClient) -> None:
    classes = client.get("/ogc/conformance").json["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in classes
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in classes
    assert "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter" in classes
    assert "http://www.opengis.net/spec/cql2/1.0/conf/accent-insensitive-comparison" in classes
    assert len(classes) == len(set(classes))


def test_collections_list_public_vector_layers_only(
    client: FlaskClient, ogc_layers: list[str]
) -> None:
    doc = client.get("/ogc/collections").json
    ids = {c["id"] for c in doc["collections"]}
    assert {"buergeraemter", "baustellen", "radwege", "messpunkte"} <= ids
    assert "geheim" not in ids
    assert "http://www.opengis.net/def/crs/EPSG/0/25832" in doc["crs"]


def test_collection_metadata(client: FlaskClient, ogc_layers: list[str]) -> None:
    doc = client.get("/ogc/collections/buergeraemter").json
    assert doc["id"] == "buergeraemter" and doc["itemType"] == "feature"
    assert doc["storageCrs"] == "http://www.opengis.net/def/crs/EPSG/0/25832"
    assert "http://www.opengis.net/def/crs/EPSG/0/31467" in doc["crs"]
    x0, y0, x1, y1 = doc["extent"]["spatial"]["bbox"][0]
    assert 9.2 < x0 < x1 < 9.5 and 52.0 < y0 < y1 < 52.2
    assert doc["extent"]["temporal"]["interval"] == [
        ["2000-01-01T00:00:00Z", "2011-12-12T00:00:00Z"]
    ]
    rels = {link["rel"] for link in doc["links"]}
    assert {
        "items",
        "license",
        "enclosure",
        "http://www.opengis.net/def/rel/ogc/1.0/queryables",
    } <= rels


@pytest.mark.parametrize(
    "path",
    [
        "/ogc/collections/{}",
        "/ogc/collections/{}/items",
        "/ogc/collections/{}/items/1",
        "/ogc/collections/{}/queryables",
        "/ogc/collections/{}/sortables",
        "/ogc/collections/{}/download/geojson",
        "/ogc/collections/{}/download/gpkg",
        "/ogc/collections/{}?f=html",
        "/ogc/collections/{}/items?f=html",
    ],
)
def test_private_layer_does_not_exist(
    client: FlaskClient, ogc_layers: list[str], path: str
) -> None:
    response = client.get(path.format("geheim"))
    assert response.status_code == 404
    if "f=html" in path:  # HTML asked for: the error page
        assert response.mimetype == "text/html"
    else:
        assert response.json["code"] == "NotFound"
    assert "geheim" not in client.get("/ogc/collections?f=html").get_data(as_text=True)
    assert "geheim" not in client.get("/ogc/api").get_data(as_text=True)


def test_items_are_geojson_with_counts(client: FlaskClient, ogc_layers: list[str]) -> None:
    response = client.get(ITEMS.format("buergeraemter"))
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    doc = response.json
    assert doc["type"] == "FeatureCollection"
    assert doc["numberMatched"] == 12 and doc["numberReturned"] == 10 == len(doc["features"])
    assert doc["timeStamp"].endswith("Z")
    assert response.headers["Content-Crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    props = doc["features"][0]["properties"]
    assert props["eroeffnet"] == "2000-01-01" and props["geaendert"] == "2024-01-01T08:00:00Z"
    assert isinstance(props["besucher"], int) and isinstance(props["barrierefrei"], bool)


def test_paging_reads_every_feature_once(
    client: FlaskClient, engine: Engine, ogc_layers: list[str]
) -> None:
    url, seen, pages = ITEMS.format("messpunkte") + "?limit=50&sortby=gruppe", [], 0
    while url:
        doc = client.get(url.removeprefix("http://localhost")).json
        seen += [f["id"] for f in doc["features"]]
        url, pages = _rels(doc).get("next"), pages + 1
    assert pages == 6
    assert (
        len(seen) == len(set(seen)) == doc["numberMatched"] == len(frame_of(engine, "messpunkte"))
    )


def test_prev_links_go_back_to_the_start(client: FlaskClient, ogc_layers: list[str]) -> None:
    doc = client.get(ITEMS.format("messpunkte") + "?limit=100&offset=250").json
    assert doc["numberReturned"] == 7 and "next" not in _rels(doc)
    url, offsets = _rels(doc)["prev"], []
    while url:
        doc = client.get(url.removeprefix("http://localhost")).json
        offsets.append(doc["features"][0]["id"])
        url = _rels(doc).get("prev")
    assert len(offsets) == 3 and "offset" not in _rels(doc)["self"]


def test_offset_beyond_the_end_is_empty_with_prev(
    client: FlaskClient, ogc_layers: list[str]
) -> None:
    doc = client.get(ITEMS.format("buergeraemter") + "?offset=100").json
    assert doc["numberReturned"] == 0 and doc["numberMatched"] == 12
    assert "offset=2" in _rels(doc)["prev"]


def test_limit_is_clamped_not_refused(app, client: FlaskClient, ogc_layers: list[str]) -> None:
    settings = app.extensions["buergergis"].settings
    doc = client.get(ITEMS.format("messpunkte") + f"?limit={settings.items_max_limit + 5}").json
    assert doc["numberReturned"] == 257
    assert client.get(ITEMS.format("messpunkte") + "?limit=0").status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        "bbox=9.3,52.1,9.2,52.2",
        "bbox=9.3,52.2,9.4,52.1",
        "bbox=1,2,3",
        "bbox=a,b,c,d",
        "bbox=nan,1,2,3",
        "bbox=-200,0,10,10",
        "bbox=1,2,3,4&bbox-crs=EPSG:9999",
        "limit=abc",
        "limit=-1",
        "offset=-5",
        "offset=1.5",
        "crs=EPSG:1234",
        "datetime=gestern",
        "datetime=2024-02-01/2024-01-01",
        "datetime=2024-01-01/2024-02-01/2024-03-01",
        "f=xml",
        "lang=fr",
        "sortby=unbekannt",
        "properties=unbekannt",
        "limit=5&limit=6",
        "unbekannt=1",
        "near=9.3",
        "near=9.3,95",
        "besucher=viele",
        "eroeffnet=kein-datum",
    ],
)
def test_bad_parameters_are_400_with_a_message(
    client: FlaskClient, ogc_layers: list[str], query: str
) -> None:
    response = client.get(ITEMS.format("buergeraemter") + "?" + query)
    assert response.status_code == 400, response.data
    body = response.json
    assert body["code"] == "InvalidParameterValue" and len(body["description"]) > 10


def test_bbox_selects_intersecting_features(
    client: FlaskClient, engine: Engine, ogc_layers: list[str]
) -> None:
    frame = frame_of(engine, "messpunkte").to_crs("OGC:CRS84")
    box = (9.33, 52.08, 9.38, 52.12)
    expected = set(frame.cx[box[0] : box[2], box[1] : box[3]]["fid"])
    doc = client.get(
        ITEMS.format("messpunkte") + "?limit=1000&bbox=" + ",".join(map(str, box))
    ).json
    assert {f["id"] for f in doc["features"]} == expected and doc["numberMatched"] == len(expected)
    six = client.get(
        ITEMS.format("messpunkte") + "?limit=1000&bbox=9.33,52.08,0,9.38,52.12,100"
    ).json
    assert six["numberMatched"] == len(expected)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("2024-06-01", lambda b, e: b <= "2024-06-01" and (e is None or e >= "2024-06-01")),
        (
            "2024-06-01T12:00:00Z",
            lambda b, e: b <= "2024-06-01" and (e is None or e >= "2024-06-01"),
        ),
        ("2024-06-01/..", lambda b, e: e is None or e >= "2024-06-01"),
        ("../2024-03-01", lambda b, e: b <= "2024-03-01"),
        ("/2024-03-01", lambda b, e: b <= "2024-03-01"),
        (
            "2024-03-01/2024-04-30",
            lambda b, e: b <= "2024-04-30" and (e is None or e >= "2024-03-01"),
        ),
    ],
)
def test_datetime_on_intervals_with_open_ends(
    client: FlaskClient, engine: Engine, ogc_layers: list[str], query: str, expected
) -> None:
    frame = frame_of(engine, "baustellen")
    wanted = {
        r.fid
        for r in frame.itertuples()
        if expected(r.beginn.isoformat(), None if r.ende is None else r.ende.isoformat())
    }
    doc = client.get(ITEMS.format("baustellen") + f"?limit=100&datetime={query}").json
    assert {f["id"] for f in doc["features"]} == wanted and 0 < len(wanted) < len(frame)


def test_datetime_on_instants(client: FlaskClient, ogc_layers: list[str]) -> None:
    doc = client.get(ITEMS.format("buergeraemter") + "?datetime=2003-04-04").json
    assert [f["properties"]["name"] for f in doc["features"]] == ["Stadtmühle"]
    doc = client.get(ITEMS.format("buergeraemter") + "?datetime=2010-01-01T00:00:00Z/..").json
    assert doc["numberMatched"] == 2
    doc = client.get(ITEMS.format("radwege") + "?datetime=2010-01-01").json
    assert doc["numberMatched"] == 15  # no time: the parameter does not restrict


def test_feature_by_id_and_404(client: FlaskClient, ogc_layers: list[str]) -> None:
    first = client.get(ITEMS.format("buergeraemter") + "?limit=1").json["features"][0]
    response = client.get(ITEMS.format("buergeraemter") + f"/{first['id']}")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    doc = response.json
    assert doc["id"] == first["id"] and doc["geometry"] == first["geometry"]
    assert "collection" in {link["rel"] for link in doc["links"]}
    assert client.get(ITEMS.format("buergeraemter") + "/gibtsnicht").status_code == 404
    assert client.get(ITEMS.format("buergeraemter") + "/1?bbox=1,2,3,4").status_code == 400
    assert client.get("/ogc/collections/nichtda/items").status_code == 404


@pytest.mark.parametrize(
    ("accept", "mimetype"),
    [
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
        ("application/geo+json", "application/geo+json"),
        ("application/json", "application/geo+json"),
        ("*/*", "application/geo+json"),
    ],
)
def test_accept_header_negotiation(
    client: FlaskClient, ogc_layers: list[str], accept: str, mimetype: str
) -> None:
    response = client.get(ITEMS.format("buergeraemter"), headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == mimetype


def test_f_parameter_wins_and_unknown_accept_is_406(
    client: FlaskClient, ogc_layers: list[str]
) -> None:
    response = client.get(
        ITEMS.format("buergeraemter") + "?f=json", headers={"Accept": "text/html"}
    )
    assert response.mimetype == "application/geo+json"
    assert client.get("/ogc/collections", headers={"Accept": "image/png"}).status_code == 406
    assert client.get("/ogc/collections?f=html").mimetype == "text/html"


def test_html_pages_german_and_english(client: FlaskClient, ogc_layers: list[str]) -> None:
    german = client.get(ITEMS.format("buergeraemter") + "?f=html").get_data(as_text=True)
    assert '<html lang="de">' in german and "Objekte gefunden" in german and "Stadtmühle" in german
    assert 'id="ogc-map"' in german and "/static/vendor/leaflet/leaflet.js" in german
    assert "cursor=" in german  # paging link
    english = client.get(ITEMS.format("buergeraemter") + "?f=html&lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english and "features found" in english
    assert "Kind" in english  # English attribute title
    collection = client.get("/ogc/collections/buergeraemter?f=html&lang=en").get_data(as_text=True)
    assert "Citizen offices" in collection and "lang=en" in collection
    for path in ("/ogc/?f=html", "/ogc/collections?f=html", "/ogc/conformance?f=html"):
        page = client.get(path).get_data(as_text=True)
        assert '<script src="http' not in page.replace("http://localhost/static", "")


def test_html_escapes_user_input(client: FlaskClient, ogc_layers: list[str]) -> None:
    payload = "<script>alert(1)</script>"
    page = client.get(
        ITEMS.format("buergeraemter"), query_string={"f": "html", "filter": f"name = '{payload}'"}
    )
    assert page.status_code == 200
    assert payload not in page.get_data(as_text=True)


def test_one_error_body_for_404_and_405(client: FlaskClient) -> None:
    for response in (client.get("/ogc/nirgends"), client.post("/ogc/collections")):
        assert set(response.json) >= {"code", "description"}
        assert response.status_code in (404, 405)


def test_temporal_on_a_text_attribute_is_ignored(
    client: FlaskClient, engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    import geopandas as gpd
    import shapely

    from buergergis.catalog.models import Attribute, Source, Temporal, VectorLayer
    from buergergis.ingest.pipeline import load_layer

    path = tmp_path / "texttime.gpkg"
    frame = gpd.GeoDataFrame(
        {"jahr": ["2020", "kein Jahr"]},
        geometry=[shapely.Point(525_000, 5_773_000), shapely.Point(525_100, 5_773_000)],
        crs="EPSG:25832",
    )
    frame.to_file(path, engine="pyogrio")
    definition = VectorLayer(
        id="texttime",
        title="Zeit als Text",
        source=Source(path=str(path)),
        attributes=(Attribute(name="jahr"),),
        temporal=Temporal(start="jahr"),
    )
    load_layer(engine, settings, definition)
    assert client.get(ITEMS.format("texttime") + "?datetime=2020-01-01").json["numberMatched"] == 2
    assert "temporal" not in client.get("/ogc/collections/texttime").json["extent"]


@pytest.mark.parametrize(
    "path",
    [
        "/ogc/?f=html",
        "/ogc/conformance?f=html",
        "/ogc/collections?f=html",
        "/ogc/collections/buergeraemter?f=html",
        "/ogc/collections/buergeraemter/items?f=html",
        "/ogc/collections/buergeraemter/items/1?f=html",
        "/ogc/collections/buergeraemter/queryables?f=html",
        "/ogc/api?f=html",
    ],
)
def test_html_pages_send_csp_and_nosniff(
    client: FlaskClient, ogc_layers: list[str], path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "object-src 'none'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'self'" in policy
    inline = re.findall(r"<script>(.*?)</script>", response.get_data(as_text=True), re.S)
    for script in inline:  # every inline script is allowed by its hash, nothing else
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
