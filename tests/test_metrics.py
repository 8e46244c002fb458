"""``/metrics``: Prometheus text format, not public, and added up over gunicorn workers."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from buergergis import create_app
from buergergis.settings import Settings
from tests.server_support import gunicorn


def samples(text: str, name: str, **labels: str) -> float:
    """The sum of the samples of ``name`` whose labels include ``labels``."""
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


@pytest.mark.usefixtures("demo_layers")
def test_metrics_count_requests_by_route_and_status(client: FlaskClient) -> None:
    before = client.get("/metrics").get_data(as_text=True)
    route = "/ogc/collections/<collection_id>"
    start_ok = samples(before, "buergergis_http_requests_total", route=route, status="200")
    start_404 = samples(before, "buergergis_http_requests_total", route=route, status="404")
    for _ in range(3):
        assert client.get("/ogc/collections/holzverkauf?f=json").status_code == 200
    assert client.get("/ogc/collections/gibtsnicht?f=json").status_code == 404
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=0.0.4")
    after = response.get_data(as_text=True)
    ok = samples(after, "buergergis_http_requests_total", route=route, status="200")
    missing = samples(after, "buergergis_http_requests_total", route=route, status="404")
    assert (ok - start_ok, missing - start_404) == (3, 1)
    # latency histogram by route, pool gauges; raw paths never become labels
    assert samples(after, "buergergis_http_request_duration_seconds_count", route=route) >= 4
    assert "buergergis_db_pool_size" in after
    assert "gibtsnicht" not in after


@pytest.mark.usefixtures("demo_layers")
def test_tile_cache_hits_and_misses_are_counted(app: Flask, client: FlaskClient) -> None:
    from buergergis.tiles.cache import withdraw_layer

    def count(result: str) -> float:
        text = client.get("/metrics").get_data(as_text=True)
        return samples(text, "buergergis_tile_cache_total", result=result)

    # Other tests of the session (the map in a browser) may have cached this tile already.
    withdraw_layer(app.extensions["buergergis.tiles"].cache.root, "ortsteile")
    hits, misses = count("hit"), count("miss")
    tile = "/tiles/ortsteile/13/4309/2701.mvt?v=metrics"  # Hameln; a query: never the fast path
    first = client.get(tile)
    assert first.status_code == 200 and first.data  # a tile with data is stored in the cache
    assert client.get(tile).status_code == 200
    assert count("miss") - misses >= 1 and count("hit") - hits >= 1


def test_metrics_are_not_public(app: Flask, settings: Settings) -> None:
    client = app.test_client()
    outside = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert outside.status_code == 403
    assert "nicht öffentlich" in outside.get_json()["description"]
    proxied = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.7"})
    assert proxied.status_code == 403
    with_token = create_app(
        {"database_url": settings.database_url, "var_dir": settings.var, "metrics_token": "s3cret"}
    ).test_client()
    remote = {"REMOTE_ADDR": "203.0.113.7"}
    assert with_token.get("/metrics", environ_base=remote).status_code == 403
    wrong = {"Authorization": "Bearer falsch"}
    assert with_token.get("/metrics", environ_base=remote, headers=wrong).status_code == 403
    right = {"Authorization": "Bearer s3cret"}
    assert with_token.get("/metrics", environ_base=remote, headers=right).status_code == 200


@pytest.fixture()
def gunicorn_server(settings: Settings, tmp_path: Path) -> Iterator[str]:
    """The app under gunicorn with the project's configuration (2 workers, multiprocess)."""
    env = {
        "DATABASE_URL": str(settings.database_url),
        "BUERGERGIS_VAR_DIR": str(tmp_path / "var"),
        "BUERGERGIS_SECRET_KEY": "metrics-test",
    }
    with gunicorn(env, threads=2) as url:
        yield url
    assert not list((tmp_path / "var" / "metrics").glob("*/*.db")), "value files removed at exit"


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.usefixtures("demo_layers")
def test_metrics_add_up_over_gunicorn_workers(gunicorn_server: str) -> None:
    route = "/ogc/conformance"
    for _ in range(24):
        assert _get(gunicorn_server + route)[0] == 200
    scrapes = [_get(gunicorn_server + "/metrics") for _ in range(6)]
    assert all(status == 200 for status, _ in scrapes)
    counts = {samples(text, "buergergis_http_requests_total", route=route) for _, text in scrapes}
    assert counts == {24.0}, counts  # every scrape, whichever worker answers, sees all 24


def test_outbox_length_is_reported(client: FlaskClient, engine: Engine) -> None:
    from buergergis.store.services import outbox

    def waiting() -> float:
        text = client.get("/metrics").get_data(as_text=True)
        return samples(text, "buergergis_mail_outbox_waiting")

    with engine.connect() as conn:
        expected = outbox.waiting(conn)
    assert waiting() == expected
    with engine.begin() as conn:
        mail_id = outbox.add(
            conn, recipient="forst@example.org", audience="staff", subject="Test", body="Text"
        )
    assert waiting() == expected + 1
    with engine.begin() as conn:
        outbox.mark_sent(conn, mail_id)
    assert waiting() == expected
