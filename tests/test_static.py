"""Static assets: compressed once per file version, never stale, no path escapes."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import brotli
import pytest

from buergergis import create_app
from buergergis.settings import Settings


@pytest.fixture()
def static_app(tmp_path: Path, settings: Settings):  # type: ignore[no-untyped-def]
    (tmp_path / "static").mkdir()
    return create_app(
        {
            "database_url": settings.database_url,
            "root": tmp_path,
            "var_dir": settings.var,
            "secret_key": "x",
        }
    ), tmp_path / "static"


def test_vendor_leaflet_is_compressed(client) -> None:  # type: ignore[no-untyped-def]
    original = (Path(__file__).parent.parent / "static/vendor/leaflet/leaflet.js").read_bytes()
    br = client.get("/static/vendor/leaflet/leaflet.js", headers={"Accept-Encoding": "br"})
    gz = client.get("/static/vendor/leaflet/leaflet.js", headers={"Accept-Encoding": "gzip"})
    plain = client.get("/static/vendor/leaflet/leaflet.js")
    assert br.headers["Content-Encoding"] == "br" and brotli.decompress(br.data) == original
    assert gz.headers["Content-Encoding"] == "gzip" and gzip.decompress(gz.data) == original
    assert plain.data == original and "Content-Encoding" not in plain.headers
    assert len(br.data) < len(original) / 2
    again = client.get(
        "/static/vendor/leaflet/leaflet.js",
        headers={"Accept-Encoding": "br", "If-None-Match": br.headers["ETag"]},
    )
    assert again.status_code == 304


def test_changed_file_is_never_served_stale(static_app) -> None:  # type: ignore[no-untyped-def]
    app, static = static_app
    asset = static / "app.js"
    asset.write_text("console.log('alt');" * 100)
    client = app.test_client()
    first = client.get("/static/app.js", headers={"Accept-Encoding": "gzip"})
    asset.write_text("console.log('neu');" * 100)
    stat = asset.stat()
    os.utime(asset, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    second = client.get("/static/app.js", headers={"Accept-Encoding": "gzip"})
    assert b"alt" in gzip.decompress(first.data) and b"neu" in gzip.decompress(second.data)
    assert first.headers["ETag"] != second.headers["ETag"]


@pytest.mark.parametrize(
    "path", ["/static/../pyproject.toml", "/static/%2e%2e/pyproject.toml", "/static/gibtsnicht.js"]
)
def test_no_escape_and_json_404(client, path: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 404
