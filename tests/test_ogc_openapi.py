"""``/ogc/api``: a valid OpenAPI 3.0 document covering every route and parameter."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from sqlalchemy import Engine

from buergergis.settings import Settings
from buergergis.web.ogc.params import ITEMS
from tests.ogc_support import load_ogc_layers


@pytest.fixture(scope="session")
def ogc_layers(
    engine: Engine, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> list[str]:
    """The OGC fixture layers, loaded once per session."""
    return load_ogc_layers(engine, settings, tmp_path_factory.mktemp("ogc"))


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
    refs = {p["$ref"].rsplit("/", 1)[1] for p in items}
    assert {spec["components"]["parameters"][r]["name"] for r in refs} >= ITEMS


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
