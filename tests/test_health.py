"""``/healthz``, ``/readyz`` and recovery after the database goes away and comes back."""

from __future__ import annotations

import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from buergergis import create_app
from buergergis.db import cluster
from buergergis.db.migrate import upgrade
from buergergis.settings import Settings


def test_healthz(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_unknown_route_gets_the_json_error_body(client: FlaskClient) -> None:
    response = client.get("/gibt-es-nicht")
    assert response.status_code == 404
    assert response.json["code"] == "NotFound" and response.json["description"]


@pytest.fixture(scope="module")
def own_cluster() -> Iterator[Settings]:
    """A throwaway private cluster that this module may stop and start."""
    var = Path(tempfile.mkdtemp(prefix="bg-health-"))
    var.chmod(0o755)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = Settings(var_dir=var, pg_port=port, database_url=None, secret_key="x")
    cluster.start(settings)
    upgrade(settings)
    yield settings
    cluster.stop(settings)
    shutil.rmtree(var, ignore_errors=True)


@pytest.mark.slow
def test_readyz_follows_the_database(own_cluster: Settings, tmp_path: Path) -> None:
    app = create_app(
        {
            "database_url": None,
            "var_dir": own_cluster.var,
            "pg_port": own_cluster.pg_port,
            "secret_key": "x",
        }
    )
    client = app.test_client()
    not_loaded = client.get("/readyz")
    assert not_loaded.status_code == 503 and "Layer" in not_loaded.json["description"]
    _load_one(own_cluster, tmp_path)
    assert client.get("/readyz").status_code == 200
    cluster.stop(own_cluster)
    down = client.get("/readyz")
    assert down.status_code == 503 and "Datenbank" in down.json["description"]
    assert client.get("/healthz").status_code == 200
    cluster.start(own_cluster)
    assert client.get("/readyz").status_code == 200, "der Dienst muss sich ohne Neustart erholen"


def _load_one(settings: Settings, tmp_path: Path) -> None:
    from buergergis.catalog.parse import parse_definition
    from buergergis.db.engine import make_engine
    from buergergis.ingest.pipeline import load_layer

    path = tmp_path / "p.geojson"
    path.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"n":1},'
        '"geometry":{"type":"Point","coordinates":[9.36,52.1]}}]}'
    )
    definition = parse_definition({"id": "eins", "title": "Eins", "source": {"path": str(path)}})
    engine = make_engine(settings)
    load_layer(engine, settings, definition)
    engine.dispose()
