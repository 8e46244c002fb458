"""Caching, compression and CORS of ``/ogc``: validators follow the layer version."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from buergergis.catalog.models import Attribute, Source, VectorLayer
from buergergis.ingest.pipeline import load_layer
from buergergis.settings import Settings

ITEMS = "/ogc/collections/buergeraemter/items"


def _load_version(engine: Engine, settings: Settings, directory: Path, names: list[str]) -> None:
    frame = gpd.GeoDataFrame(
        {"name": names},
        geometry=shapely.points(
            [525_000 + 10 * i for i in range(len(names))], [5_773_000] * len(names)
        ),
        crs="EPSG:25832",
    )
    path = directory / f"wechsel-{len(names)}.gpkg"
    frame.to_file(path, driver="GPKG", engine="pyogrio")
    definition = VectorLayer(
        id="wechsel",
        title="Wechselnde Daten",
        source=Source(path=str(path)),
        attributes=(Attribute(name="name"),),
    )
    load_layer(engine, settings, definition)


@pytest.mark.parametrize(
    "path",
    [
        ITEMS,
        ITEMS + "/1",
        "/ogc/collections/buergeraemter",
        "/ogc/collections",
        "/ogc/",
        "/ogc/conformance",
        "/ogc/api",
        "/ogc/collections/buergeraemter/queryables",
        "/ogc/collections/buergeraemter/download/csv",
    ],
)
def test_etag_and_304(app: Flask, client: FlaskClient, ogc_layers: list[str], path: str) -> None:
    first = client.get(path)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == app.extensions["buergergis"].settings.cache_control
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    other = client.get(path, headers={"If-None-Match": 'W/"something-else"'})
    assert other.status_code == 200


def test_etag_depends_on_the_request(client: FlaskClient, ogc_layers: list[str]) -> None:
    tags = {
        client.get(ITEMS + q).headers["ETag"]
        for q in ("", "?limit=5", "?f=html", "?crs=EPSG:25832")
    }
    assert len(tags) == 4


def test_last_modified_is_the_load_time(client: FlaskClient, ogc_layers: list[str]) -> None:
    response = client.get(ITEMS)
    assert response.last_modified is not None
    assert client.get("/ogc/collections/buergeraemter").last_modified == response.last_modified


def test_reload_never_serves_old_data_with_a_fresh_validator(
    client: FlaskClient, engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    _load_version(engine, settings, tmp_path, ["alt"])
    url = "/ogc/collections/wechsel/items"
    old = client.get(url)
    assert [f["properties"]["name"] for f in old.json["features"]] == ["alt"]
    _load_version(engine, settings, tmp_path, ["neu", "neuer"])
    new = client.get(url, headers={"If-None-Match": old.headers["ETag"]})
    assert new.status_code == 200
    assert [f["properties"]["name"] for f in new.json["features"]] == ["neu", "neuer"]
    assert new.headers["ETag"] != old.headers["ETag"]
    meta = client.get("/ogc/collections/wechsel").json
    assert meta["featureCount"] == 2


def test_gzip_and_brotli_when_accepted(client: FlaskClient, ogc_layers: list[str]) -> None:
    plain = client.get(ITEMS + "?limit=100")
    zipped = client.get(ITEMS + "?limit=100", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(zipped.data))["features"] == plain.json["features"]
    brotli = client.get(ITEMS + "?limit=100", headers={"Accept-Encoding": "br"})
    assert brotli.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in zipped.headers["Vary"]


def test_cors_for_get(client: FlaskClient, ogc_layers: list[str]) -> None:
    response = client.get(ITEMS, headers={"Origin": "https://example.org"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Content-Crs" in response.headers["Access-Control-Expose-Headers"]
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]


def test_errors_are_not_cached(client: FlaskClient, ogc_layers: list[str]) -> None:
    response = client.get(ITEMS + "?limit=x")
    assert response.status_code == 400 and response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers
