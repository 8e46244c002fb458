"""``/ogc/api``: a valid OpenAPI 3.0 document covering every route and parameter."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from buergergis.web.ogc.params import ITEMS


@pytest.fixture()
def spec(client: FlaskClient, ogc_layers: list[str]) -> dict:
    """The OpenAPI document as served."""
    response = client.get("/ogc/api")
    assert response.mimetype == "application/vnd.oai.openapi+json"
    return response.json


def test_openapi_document_validates(spec: dict) -> None:
    validate(spec)
    assert spec["openapi"].startswith("3.0")


def test_every_ogc_route_is_documented(app: Flask, spec: dict) -> None:
    documented = {re.sub(r"\{[^}]+\}", "{}", path) for path in spec["paths"]}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("ogc.") and "GET" in rule.methods:
            path = re.sub(r"<(?:[^:>]+:)?[^>]+>", "{}", rule.rule.removeprefix("/ogc"))
            assert path in documented, rule.rule


def test_every_items_parameter_is_documented(spec: dict) -> None:
    params = {p["name"] for p in spec["components"]["parameters"].values()}
    assert params >= ITEMS
    items = spec["paths"]["/collections/{collectionId}/items"]["get"]["parameters"]
    names = {
        spec["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]["name"]
        if "$ref" in p
        else p["name"]
        for p in items
    }
    assert names >= ITEMS


def test_queryables_of_each_collection_are_parameters(spec: dict) -> None:
    path = spec["paths"]["/collections/buergeraemter/items"]["get"]
    names = {p.get("name") for p in path["parameters"]}
    assert {"name", "plz", "besucher", "eroeffnet"} <= names
    enum = spec["components"]["parameters"]["collectionId"]["schema"]["enum"]
    assert "buergeraemter" in enum and "geheim" not in enum


def test_swagger_ui_is_self_hosted(client: FlaskClient, ogc_layers: list[str]) -> None:
    page = client.get("/ogc/api?f=html").get_data(as_text=True)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page
    assert "/ogc/api?f=json" in page and "validatorUrl: null" in page
    # data: URIs (the empty favicon) load nothing from any host
    for src in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert src.startswith(("http://localhost/", "/", "#", "?", "data:")), src
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200


def test_every_offered_f_is_served(client: FlaskClient, spec: dict) -> None:
    """Each value of ``f`` an operation documents is answered with 200 (never a 400)."""
    values = {"collectionId": "buergeraemter", "featureId": "1"}
    checked = 0
    for path, item in spec["paths"].items():
        if "tile" in path.lower() or "/download/" in path:  # tiles: their own area
            continue
        params = item["get"]["parameters"]
        f = next((p for p in params if p.get("name") == "f"), None)
        assert f is not None, path
        url = "/ogc" + re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)
        for value in f["schema"]["enum"]:
            response = client.get(url, query_string={"f": value})
            assert response.status_code == 200, (path, value, response.data[:200])
            checked += 1
        assert client.get(url, query_string={"f": "xlsx"}).status_code == 400
    assert checked > 20


def test_limit_datetime_and_arrays_are_form_style(spec: dict) -> None:
    params = spec["components"]["parameters"]
    for name in ("limit", "datetime", "bbox", "sortby", "properties", "near"):
        assert (params[name]["style"], params[name]["explode"]) == ("form", False), name


def test_geojson_bodies_have_schemas(client: FlaskClient, spec: dict) -> None:
    from jsonschema import Draft4Validator

    items = spec["paths"]["/collections/{collectionId}/items"]["get"]["responses"]["200"]
    ref = items["content"]["application/geo+json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/featureCollectionGeoJSON"
    schema = {"$ref": ref, "components": spec["components"]}
    validator = Draft4Validator(schema)  # "#/components/…" resolves inside the document
    doc = client.get("/ogc/collections/baustellen/items").json
    validator.validate(doc)
    doc["features"][0]["type"] = "Feature!"
    assert not validator.is_valid(doc)
    responses = spec["paths"]["/collections/{collectionId}/items"]["get"]["responses"]
    assert {"400", "404", "406", "414", "500", "503"} <= set(responses)
    assert set(responses["400"]["content"]) == {"application/json", "text/html"}


def test_queryable_parameters_are_checked_by_type(
    client: FlaskClient, ogc_layers: list[str]
) -> None:
    url = "/ogc/collections/buergeraemter/items"
    assert client.get(url, query_string={"besucher": "1.5"}).status_code == 400
    assert client.get(url, query_string={"besucher": "abc"}).status_code == 400
    assert client.get(url, query_string={"barrierefrei": "ja"}).status_code == 400
    assert client.get(url, query_string={"eroeffnet": "2024-13-01"}).status_code == 400
    assert client.get(url, query_string={"flaeche": "nan"}).status_code == 400
    assert client.get(url, query_string={"besucher": "12"}).status_code == 200
    assert client.get(url, query_string={"barrierefrei": "true"}).status_code == 200
    assert client.get(url, query_string={"near-crs": "AAA"}).status_code == 400
    assert client.get(url, query_string={"bbox-crs": "AAA"}).status_code == 400
    assert client.get(url, query_string={"filter": ""}).status_code == 200
