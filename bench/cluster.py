"""nginx in front of app instances (section of ``make bench``; alone: ``python -m bench.run bench.cluster``).

The site configuration of ``make cluster`` (deploy/nginx/buergergis.conf) in front of
BürgerGIS instances as ``make cluster`` starts them (gunicorn, one-write gthread worker,
2 workers × 12 threads each), side by side in one run:

* a cached vector tile: versioned URL from TileJSON (nginx answers from the tile cache),
  unversioned URL (nginx → app fast path), nginx serving the same bytes as a static file;
* ``/items`` (dense bbox, 100 of 200,000 polygons) with two app instances behind nginx vs one.

All on one machine: two instances share its cores, so the second instance shows what the
proxy layer costs and what spare cores give — on separate hosts each brings its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine

from bench.features import ensure_polygons, items_path
from bench.tiles import GZIP, POLYGONS, _centre_tile, _table, alternate, ours_env
from bench.tiles_tools import THREADS, WORKERS, Result, fetch, free_port, server, wrk
from buergergis.settings import PROJECT_ROOT, Settings

SITE = PROJECT_ROOT / "deploy" / "nginx" / "buergergis.conf"
ROUNDS = 3
CONNECTIONS = 8  # items: enough concurrent requests to keep two instances busy


def app_cmd(port: int) -> list[str]:
    """One app instance as scripts/cluster.sh starts it."""
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    return [
        gunicorn,
        *("--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS)),
        *("--worker-class", "buergergis.gunicorn_worker.ThreadWorker", "--threads", str(THREADS)),
        *("--log-level", "warning", "buergergis:create_app()"),
    ]


@contextlib.contextmanager
def proxy(app_ports: list[int], static_root: Path, cache: Path) -> Iterator[str]:
    """nginx with the cluster site over ``app_ports`` (tile cache ``cache``) plus
    ``/static-tile/`` from ``static_root``."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        servers = " ".join(f"server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in app_ports)
        site = SITE.read_text().replace("@LISTEN@", f"127.0.0.1:{port}")
        site = site.replace("@APP_SERVERS@", servers).replace("@TILE_CACHE@", str(cache))
        static = (
            "    location /static-tile/ {\n"
            f"        alias {static_root}/;\n"
            "        default_type application/vnd.mapbox-vector-tile;\n"
            "        add_header Content-Encoding gzip;\n    }\n"
            "    location = /ping { return 200 ok; }\n"
        )
        site = site.replace("    location / {", static + "    location / {", 1)
        (Path(tmp) / "site.conf").write_text(site)
        temp_paths = " ".join(
            f"{k}_temp_path {tmp}/{k};"
            for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (Path(tmp) / "nginx.conf").write_text(
            f"worker_processes {WORKERS}; daemon off; pid {tmp}/nginx.pid; error_log {tmp}/error.log;\n"
            "events { worker_connections 1024; }\n"
            f"http {{ access_log off; sendfile on; {temp_paths} include {tmp}/site.conf; }}\n"
        )
        cmd = ["nginx", "-c", f"{tmp}/nginx.conf", "-p", tmp]
        with server(cmd, dict(os.environ), f"http://127.0.0.1:{port}/ping"):
            yield f"http://127.0.0.1:{port}"


def wrk_many(url: str, connections: int = CONNECTIONS) -> Result:
    """``wrk`` with ``connections`` connections (2 threads); same parsing as the other sections."""
    from bench import tiles_tools

    saved = tiles_tools.CONNECTIONS
    tiles_tools.CONNECTIONS = connections
    try:
        return wrk(url)
    finally:
        tiles_tools.CONNECTIONS = saved


def measure(settings: Settings) -> tuple[dict[str, Result], dict[str, Result]]:
    """Cached tile (proxy vs static) and items (two instances vs one), alternating rounds."""
    tile = _centre_tile(14)
    path = f"{tile.z}/{tile.x}/{tile.y}"
    with contextlib.ExitStack() as stack:
        var = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        os.chmod(var, 0o755)  # nginx's workers read the tile cache below it
        env = {**ours_env(settings, var, 512), "BUERGERGIS_SHARED_DIR": str(var)}
        ports = [free_port(), free_port()]
        for port in ports:
            probe = f"http://127.0.0.1:{port}/healthz"
            stack.enter_context(server(app_cmd(port), env, probe, cwd=var))
        static_root = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        os.chmod(static_root, 0o755)
        cache = var / "cache" / "tiles"
        both = stack.enter_context(proxy(ports, static_root, cache))
        one = stack.enter_context(proxy(ports[:1], static_root, cache))
        tile_url = f"{both}/tiles/{POLYGONS}/{path}.mvt"
        body = fetch(tile_url, GZIP)
        tilejson = json.loads(fetch(f"{both}/tiles/{POLYGONS}.json"))
        versioned_url = tilejson["tiles"][0].format(z=tile.z, x=tile.x, y=tile.y)
        assert "/tiles/v/" in versioned_url and fetch(versioned_url, GZIP) == body
        stored = next((var / "cache" / "tiles").rglob(f"{tile.y}.mvt.gz"))
        assert stored.read_bytes() == body, "nginx must serve the same bytes"
        shutil.copyfile(stored, static_root / "tile.mvt")
        os.chmod(static_root / "tile.mvt", 0o644)
        static_url = f"{both}/static-tile/tile.mvt"
        assert fetch(static_url, GZIP) == body
        tiles = alternate(
            {
                "nginx, versionierte Kachel-URL (Cache-Treffer aus dem Kachel-Cache)": lambda: wrk(
                    versioned_url, GZIP
                ),
                "nginx → BürgerGIS (unversionierte URL, Cache-Treffer)": lambda: wrk(
                    tile_url, GZIP
                ),
                "nginx, statische Datei": lambda: wrk(static_url, GZIP),
            },
            ROUNDS,
        )
        items = "/ogc" + items_path(POLYGONS)
        for base in (both, one):
            fetch(base + items)
            wrk_many(base + items)  # warm-up: every thread opens its connections
        runs = alternate(
            {
                "nginx → 2 App-Instanzen": lambda: wrk_many(both + items),
                "nginx → 1 App-Instanz": lambda: wrk_many(one + items),
            },
            ROUNDS,
        )
    return tiles, runs


def run(report: list[str], settings: Settings, engine: Engine) -> None:
    """Append the Markdown section."""
    from bench import targets

    ensure_polygons(settings, engine, POLYGONS, 200_000)
    tiles, items = measure(settings)
    share = targets.ratio(
        tiles["nginx, versionierte Kachel-URL (Cache-Treffer aus dem Kachel-Cache)"].rps,
        tiles["nginx, statische Datei"].rps,
    )
    targets.check(
        "Mehrere Rechner", "gecachte Kachel über nginx ≥ 0,5× statische Datei", f"{share:.2f}×",
        share >= 0.5,
    )  # fmt: skip
    cores = os.cpu_count()
    report += [
        "## Mehrere App-Instanzen hinter nginx (`make cluster`)",
        "",
        "nginx mit der Site-Konfiguration aus `deploy/nginx/buergergis.conf` vor BürgerGIS-"
        f"Instanzen wie bei `make cluster` (je {WORKERS} Worker × {THREADS} Threads). Kachel: "
        f"`wrk -t2 -c2`; `/items` (dichte bbox, 100 von 200.000 Polygonen): `wrk -t2 "
        f"-c{CONNECTIONS}`. {ROUNDS} Runden abwechselnd, Median (min–max). Alles auf einem "
        f"Rechner mit {cores} Kernen: die zweite Instanz teilt sich dieselben Kerne.",
        "",
        *_table(
            "Gecachte Kachel: versionierte URL (nginx allein), über die App, statische Datei "
            "(Ziel: ≥ 0,5×)",
            tiles,
            "nginx, statische Datei",
        ),
        *_table("/items: zwei App-Instanzen vs. eine", items, "nginx → 1 App-Instanz"),
    ]


def main() -> None:
    """Standalone run of this section (``bench/results/bench.cluster.md``)."""
    from bench.run import main as run_main

    raise SystemExit(run_main(("bench.cluster",)))


if __name__ == "__main__":
    main()
