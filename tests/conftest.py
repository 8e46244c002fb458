"""Shared fixtures: a real PostGIS database per test session (and xdist worker), apps, data.

Without ``DATABASE_URL`` the project's private cluster under ``var/`` is started. Each
session gets a fresh database (``bg_test_<random>``), migrated with Alembic, dropped at the
end. With ``CI=true`` missing services or ``../shared/data`` fail instead of skipping.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from buergergis import create_app
from buergergis.db.engine import make_engine
from buergergis.db.migrate import upgrade
from buergergis.settings import PROJECT_ROOT, Settings, load_settings

SHARED_DATA = (PROJECT_ROOT.parent / "shared" / "data").resolve()
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(condition: bool, reason: str) -> None:
    """Skip locally, fail in CI: missing services or data must never pass silently there."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def _server_settings() -> Settings:
    settings = load_settings()
    if not settings.database_url:
        from buergergis.db.cluster import ensure_database

        ensure_database(settings)
    return settings


def _admin_url(settings: Settings) -> str:
    return (
        make_url(settings.sqlalchemy_url())
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a fresh, migrated database for this session."""
    server = _server_settings()
    name = f"bg_test_{secrets.token_hex(4)}"
    admin = _admin_url(server)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(server.sqlalchemy_url()).set(database=name).render_as_string(hide_password=False)
    upgrade(load_settings(database_url=url))
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private var/ for caches and COGs of this session."""
    return tmp_path_factory.mktemp("var")


@pytest.fixture(scope="session")
def settings(database_url: str, var_dir: Path) -> Settings:
    """Settings pointing at the session database and a temporary var/."""
    return load_settings(database_url=database_url, var_dir=var_dir, secret_key="test-secret")


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    """The SQLAlchemy engine for the session database."""
    eng = make_engine(settings, application_name="buergergis-tests")
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def app(settings: Settings) -> Flask:
    """The app built by the one factory, against the session database."""
    application = create_app(
        {
            "database_url": settings.database_url,
            "var_dir": settings.var,
            "secret_key": "test-secret",
        }
    )
    application.config["TESTING"] = True
    return application


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    """A test client."""
    return app.test_client()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (official data and edge cases); required in CI."""
    require(SHARED_DATA.is_dir(), f"{SHARED_DATA} fehlt")
    return SHARED_DATA


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project root with freshly generated demo data and the repository's layers/."""
    from buergergis.demo.generate import generate

    root = tmp_path_factory.mktemp("demo")
    generate(root / "data")
    (root / "layers").symlink_to(PROJECT_ROOT / "layers")
    return root


@pytest.fixture(scope="session")
def demo_settings(settings: Settings, demo_root: Path) -> Settings:
    """Settings whose root holds the demo data (so layers/*.yaml resolve)."""
    return load_settings(
        database_url=settings.database_url,
        var_dir=settings.var,
        root=demo_root,
        secret_key="test-secret",
    )


@pytest.fixture(scope="session")
def demo_layers(demo_settings: Settings, engine: Engine) -> list[str]:
    """Load every demo layer once per session; returns their ids."""
    from buergergis.catalog.parse import load_definitions
    from buergergis.ingest.pipeline import load_layer

    ids = []
    for definition in load_definitions(demo_settings.layers_path, demo_settings.root):
        load_layer(engine, demo_settings, definition)
        ids.append(definition.id)
    return ids


# --- live_server: a real HTTP server for real clients (OWSLib, GDAL, Chromium) ---------------
# Added by the OGC API engineer; shared by every area that needs a socket. The server runs in
# its own process: GDAL (pyogrio) keeps the GIL while it downloads, so a server thread in the
# test process would deadlock.

_LIVE_SERVER = """
import logging
import sys
from werkzeug.serving import make_server
logging.getLogger("werkzeug").setLevel(logging.WARNING)
from buergergis import create_app
app = create_app({"database_url": sys.argv[1], "var_dir": sys.argv[2], "secret_key": "test-secret"})
server = make_server("127.0.0.1", 0, app, threaded=True)
print(server.server_port, flush=True)
import os
devnull = os.open(os.devnull, os.O_WRONLY)
os.dup2(devnull, 1)  # nothing more on the pipe: a full pipe would block the server
server.serve_forever()
"""


@pytest.fixture(scope="session")
def live_server(settings: Settings) -> Iterator[str]:
    """Serve the app (session database, session var/) on a free loopback port in a child
    process; yields the base URL without a trailing slash."""
    import subprocess
    import sys
    import time
    import urllib.request

    proc = subprocess.Popen(
        [sys.executable, "-c", _LIVE_SERVER, str(settings.database_url), str(settings.var)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = f"http://127.0.0.1:{int(proc.stdout.readline())}"
        proc.stdout.close()
        for _ in range(100):
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=2):
                    break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# --- browser fixtures (citizen map, embeds, staff journey, services) -------------------------
# One Chromium per session (Debian's /usr/bin/chromium driven by Playwright; never downloaded),
# the app served with a basemap from a second local origin so that tests run without network.

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--use-angle=swiftshader",  # WebGL (MapLibre) without a GPU
    "--enable-unsafe-swiftshader",
]


@pytest.fixture(scope="session")
def tile_hits() -> list[str]:
    """Basemap tile requests seen by the helper origin."""
    return []


@pytest.fixture(scope="session")
def other_origin(tile_hits: list[str]) -> Iterator[str]:
    """A second origin: serves basemap tiles and pages that embed the map in an iframe."""
    from tests.maps_support import helper_app, serve

    with serve(lambda url: helper_app(tile_hits)) as url:
        yield url


@pytest.fixture(scope="session")
def map_server(settings: Settings, other_origin: str) -> Iterator[str]:
    """The app on a free port, its basemap on ``other_origin`` (which may frame the embed)."""
    from tests.maps_support import serve

    def factory(url: str) -> Flask:
        return create_app(
            {
                "database_url": settings.database_url,
                "var_dir": settings.var,
                "secret_key": "test-secret",
                "public_url": url,
                "basemap_url": f"{other_origin}/tiles/{{z}}/{{x}}/{{y}}.png",
                "basemap_attribution": "Testkarte",
                "frame_ancestors": f"'self' {other_origin}",
            }
        )

    with serve(factory) as url:
        yield url


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """Headless Chromium (Debian package) for the whole session."""
    require(Path(CHROMIUM).exists(), f"{CHROMIUM} fehlt")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def desktop(chromium: object) -> Iterator[object]:
    """A fresh desktop context (1366×800, German); browser tests that need pages of their own
    define ``desktop``/``phone`` themselves."""
    from tests.maps_support import DESKTOP, browser_context

    yield from browser_context(chromium, DESKTOP)


@pytest.fixture()
def phone(chromium: object) -> Iterator[object]:
    """A fresh phone context (390×844, touch, German)."""
    from tests.maps_support import PHONE, browser_context

    yield from browser_context(chromium, PHONE)


@pytest.fixture(scope="session")
def tile_layers(
    engine: Engine, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> object:
    """The tile fixture layers (points, lines, polygons around the old town; a colour-ramp raster
    with a NoData strip; a DEM), loaded once per session database (``tests/tiles_support.py``)."""
    from tests.tiles_support import load_tile_layers

    return load_tile_layers(engine, settings, tmp_path_factory.mktemp("tiles"))


@pytest.fixture(scope="session")
def ogc_layers(
    engine: Engine, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> list[str]:
    """The OGC fixture layers (``tests/ogc_support.py``), loaded once per session."""
    from tests.ogc_support import load_ogc_layers

    return load_ogc_layers(engine, settings, tmp_path_factory.mktemp("ogc"))
