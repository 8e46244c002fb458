"""Feature benchmark (section of ``make bench``; standalone: ``python -m bench.features``).

The query: a bbox of about 1 km² in the dense part of ``bench-polygons`` (200,000 polygons
around Hameln), ``limit=100``, ``numberMatched`` included, stable order (by ``gid``). Side by
side on the same PostGIS table, 2 worker processes per server, 2 connections per load
generator: BürgerGIS, MapServer's OGC API (``bench.mapserver_peer``), pygeoapi and tipg (each
from PyPI in its own venv under ``bench/envs``) and the bare SQL that BürgerGIS runs (pgbench) as the floor; with keep-alive
and with ``Connection: close``; conditional requests (304); and p50 as the table grows from
10,000 to 1,000,000 features (density held constant, so the bbox always holds the same
number of features and only the table size changes).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import subprocess
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psycopg
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from bench import profile, targets
from bench.data import dense_bbox_4326, make_polygons
from bench.mapserver_peer import SESSION as MAPSERVER_SESSION
from bench.mapserver_peer import items_path as mapserver_items
from bench.mapserver_peer import mapserver_peer
from bench.tiles import alternate, start_ours, tcp_url, uvicorn_cmd
from bench.tiles_tools import (
    DURATION_S,
    PEERS,
    THREADS,
    WORKERS,
    Result,
    fetch,
    free_port,
    peer_bin,
    pgbench,
    server,
    wrk,
)
from buergergis.catalog.models import Source, VectorLayer
from buergergis.ingest.pipeline import load_layer
from buergergis.settings import Settings
from buergergis.store.catalog import LayerRecord, get_layer
from buergergis.store.crs import CRS84
from buergergis.store.features import BBox, ItemsQuery, build_items

POLYGONS = "bench-polygons"
N_POLYGONS = 200_000
SCALES = (10_000, 100_000, 1_000_000)
ROUNDS = 3
#: Seconds of py-spy sampling under the benchmark load.
PROFILE_S = 8
CLOSE = {"Connection": "close"}
#: The session settings of BürgerGIS's feature connections (store/featuredb.py), for pgbench.
SESSION = "-c jit=off -c max_parallel_workers_per_gather=0"
PEERS.setdefault(
    "pygeoapi",
    ["pygeoapi==0.21.0", "geoalchemy2==0.20.0", "psycopg2-binary==2.9.13", "gunicorn==27.0.1"],
)


def ensure_polygons(settings: Settings, engine: Engine, layer_id: str, n: int) -> LayerRecord:
    """Load ``n`` polygons as ``layer_id`` unless they are there (same definition as tiles)."""
    with engine.connect() as conn:
        record = get_layer(conn, layer_id, include_private=True)
    if record is None or record.feature_count != n:
        work = settings.var / "bench"
        if layer_id == POLYGONS:  # exactly as bench/tiles.py loads it
            source = make_polygons(work / "polygons.fgb", n)
        else:
            spread = 4_000.0 * math.sqrt(n / N_POLYGONS)  # constant density around the centre
            source = make_polygons(work / f"{layer_id}.fgb", n, spread_m=spread)
        title = "Benchmark-Polygone" if layer_id == POLYGONS else f"Benchmark {n}"
        definition = VectorLayer(id=layer_id, title=title, source=Source(path=str(source)))
        load_layer(engine, settings, definition)
        with engine.connect() as conn:
            record = get_layer(conn, layer_id, include_private=True)
    assert record is not None
    return record


def bbox_param() -> str:
    """The 1 km² bbox in the dense centre (CRS84), as ``bbox=`` value."""
    return ",".join(f"{v:.6f}" for v in dense_bbox_4326(1_000.0))


def bare_sql(settings: Settings, layer: LayerRecord) -> str:
    """BürgerGIS's items statement with the values inlined, as pgbench runs it."""
    x0, y0, x1, y1 = (float(v) for v in bbox_param().split(","))
    stmt = build_items(layer, ItemsQuery(limit=100, bbox=BBox(x0, y0, x1, y1, CRS84)))
    with psycopg.connect(settings.libpq_url()) as conn:
        return psycopg.ClientCursor(conn).mogrify(stmt.sql, stmt.params)


def count_sql(settings: Settings, layer: LayerRecord) -> str:
    """The alternative: ``numberMatched`` by a second ``count(*)`` instead of the window."""
    sql = bare_sql(settings, layer)
    where = sql[sql.index(" WHERE ") : sql.index(" ORDER BY t.gid")]
    count = f"(SELECT count(*) FROM {layer.relation} t{where})"  # noqa: S608
    sql = sql.replace("SELECT max(p._m) AS matched", f"SELECT {count} AS matched", 1)
    return sql.replace("count(*) OVER () AS _m, ", "", 1)


def _pygeoapi_config(directory: Path, port: int, settings: Settings, layer: LayerRecord) -> Path:
    url = make_url(tcp_url(settings))
    config = {
        "server": {
            "bind": {"host": "127.0.0.1", "port": port},
            "url": f"http://127.0.0.1:{port}",
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "languages": ["en-US"],
            "limits": {"default_items": 10, "max_items": 10000},
            "map": {"url": "https://example.org/{z}/{x}/{y}.png", "attribution": "-"},
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {
                "title": "bench",
                "description": "bench",
                "keywords": ["bench"],
                "keywords_type": "theme",
                "terms_of_service": "https://example.org",
                "url": "https://example.org",
            },
            "license": {"name": "CC-BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
            "provider": {"name": "bench", "url": "https://example.org"},
            "contact": {"name": "bench", "email": "bench@example.org", "role": "pointOfContact"},
        },
        "resources": {
            "bench": {
                "type": "collection",
                "title": "bench",
                "description": "bench",
                "keywords": ["bench"],
                "extents": {"spatial": {"bbox": [9.0, 51.9, 9.7, 52.3], "crs": CRS84.uri}},
                "providers": [
                    {
                        "type": "feature",
                        "name": "PostgreSQL",
                        "data": {
                            "host": url.host,
                            "port": url.port or 5432,
                            "dbname": url.database,
                            "user": url.username,
                            "password": url.password or "",
                            "search_path": ["layerdata"],
                        },
                        "id_field": "gid",
                        "table": layer.data_table,
                        "geom_field": "geom",
                        "storage_crs": "http://www.opengis.net/def/crs/EPSG/0/25832",
                    }
                ],
            }
        },
    }
    path = directory / "pygeoapi.config.yml"
    path.write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML
    return path


@contextlib.contextmanager
def pygeoapi(settings: Settings, layer: LayerRecord) -> Iterator[str]:
    """pygeoapi under gunicorn (gthread, 4 threads, ``WORKERS`` workers); yields its base URL."""
    bin_dir = peer_bin("pygeoapi")
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        config = _pygeoapi_config(Path(tmp), port, settings, layer)
        openapi = Path(tmp) / "openapi.yml"
        env = {**os.environ, "PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
        subprocess.run(
            [
                str(bin_dir / "pygeoapi"),
                "openapi",
                "generate",
                str(config),
                "--output-file",
                str(openapi),
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        cmd = [
            str(bin_dir / "gunicorn"),
            *("--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS)),
            *("--worker-class", "gthread", "--threads", "4", "--log-level", "warning"),
            "pygeoapi.flask_app:APP",
        ]
        probe = f"http://127.0.0.1:{port}/collections/bench?f=json"
        with server(cmd, env, probe, cwd=Path(tmp)):
            yield f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def tipg(settings: Settings) -> Iterator[str]:
    """tipg under uvicorn with ``WORKERS`` processes; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": tcp_url(settings),
        "TIPG_DB_SCHEMAS": '["layerdata"]',
        "TIPG_MAX_FEATURES_PER_QUERY": "10000",
    }
    probe = f"http://127.0.0.1:{port}/collections"
    with server(uvicorn_cmd("tipg", "tipg.main:app", port), env, probe):
        yield f"http://127.0.0.1:{port}"


def items_path(collection: str, extra: str = "") -> str:
    """The benchmark request of a server's items endpoint."""
    return f"/collections/{collection}/items?bbox={bbox_param()}&limit=100{extra}"


def _check(url: str, expect: int) -> int:
    """Every server must answer the same question: 100 features and ``numberMatched``.

    The counts differ by a few features at the bbox border (each server transforms the
    CRS84 bbox its own way); they are reported.
    """
    doc = json.loads(fetch(url, {"Accept": "application/geo+json"}))
    returned, matched = len(doc["features"]), int(doc.get("numberMatched") or -1)
    if returned != 100 or abs(matched - expect) > expect * 0.02:
        raise RuntimeError(f"{url}: {returned} Objekte, numberMatched={matched}")
    return matched


def main_runs(
    settings: Settings, layer: LayerRecord
) -> tuple[dict[str, Result], int, Counter[str]]:
    """The dense bbox on 200,000 polygons: SQL floor, BürgerGIS, pygeoapi, tipg, MapServer;
    then where BürgerGIS's CPU time goes under the same load (py-spy)."""
    sql = bare_sql(settings, layer)
    with psycopg.connect(settings.libpq_url()) as conn:
        matched = int(conn.execute(sql).fetchone()[0])  # type: ignore[index]
    with contextlib.ExitStack() as stack:
        ours, _var = start_ours(stack, settings, 0)
        geo = stack.enter_context(pygeoapi(settings, layer))
        tip = stack.enter_context(tipg(settings))
        mapserv = stack.enter_context(mapserver_peer(settings))
        urls = {
            "BürgerGIS": ours + "/ogc" + items_path(POLYGONS),
            "MapServer": mapserv + mapserver_items(POLYGONS, f"bbox={bbox_param()}&limit=100"),
            "pygeoapi": geo + items_path("bench", "&sortby=gid&f=json"),
            "tipg": tip + items_path(f"layerdata.{layer.data_table}", "&sortby=gid"),
        }
        for url in urls.values():
            _check(url, matched)
            wrk(url, duration=2)  # warm-up: every worker thread opens its connection
        etag = {"If-None-Match": _etag(urls["BürgerGIS"])}
        targets = {"SQL (pgbench)": lambda: pgbench(settings.libpq_url(), sql, options=SESSION)}
        for name, url in urls.items():
            targets[name] = lambda url=url: wrk(url)
            targets[f"{name}, Connection: close"] = lambda url=url: wrk(url, CLOSE)
        targets["BürgerGIS, If-None-Match → 304"] = lambda: wrk(urls["BürgerGIS"], etag)
        results = alternate(targets, ROUNDS)
        results["SQL mit count(*)-Unterabfrage statt Fensterfunktion (pgbench)"] = pgbench(
            settings.libpq_url(), count_sql(settings, layer), options=SESSION
        )
        port = int(ours.rsplit(":", 1)[1])
        cpu = profile.profile(port, lambda: wrk(urls["BürgerGIS"], duration=PROFILE_S), PROFILE_S)
    return results, matched, cpu


def _etag(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=30) as response:
        return str(response.headers["ETag"])


def scale_runs(settings: Settings, engine: Engine) -> dict[int, tuple[Result, Result]]:
    """p50 of BürgerGIS and of its SQL as the table grows (constant density in the bbox).

    The SQL runs first, each alone; then one BürgerGIS server answers for every size.
    """
    layers = {n: ensure_polygons(settings, engine, f"bench-scale-{n // 1000}k", n) for n in SCALES}
    floors = {
        n: pgbench(settings.libpq_url(), bare_sql(settings, layer), 5, SESSION)
        for n, layer in layers.items()
    }
    results = {}
    with contextlib.ExitStack() as stack:
        ours, _var = start_ours(stack, settings, 0)
        for n, layer in layers.items():
            url = ours + "/ogc" + items_path(layer.id)
            fetch(url)
            results[n] = (wrk(url, duration=5), floors[n])
    return results


def _table(results: dict[str, Result], floor: str, peer: str) -> list[str]:
    lines = [
        f"| | Anfragen/s Median (min–max) | p50 ms | p99 ms | vs. SQL | vs. {peer} |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r.rps_text()} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | "
            f"{r.rps / results[floor].rps:.0%} | {r.rps / results[peer].rps:.1f}× |"
        )
    return lines


def run(report: list[str], settings: Settings, engine: Engine) -> None:
    """Run the comparisons and append the Markdown section."""
    layer = ensure_polygons(settings, engine, POLYGONS, N_POLYGONS)
    results, matched, cpu = main_runs(settings, layer)
    scales = scale_runs(settings, engine)
    _check_targets(results, cpu)
    report += [
        "## Features (OGC API – Features)",
        "",
        f"Anfrage: bbox von 1 km² im dichten Teil von `{POLYGONS}` ({layer.feature_count:,} Polygone), "
        f"`limit=100`, mit `numberMatched` ({matched:,} Treffer), stabile Reihenfolge (`gid`; bei "
        "pygeoapi und tipg `sortby=gid`, MapServer ordnet selbst nach seinem Schlüssel `gid`). "
        f"Je Server {WORKERS} Worker-Prozesse (BürgerGIS: gunicorn gthread mit {THREADS} Threads "
        "wie `make run`, pygeoapi: gunicorn gthread mit 4 Threads, tipg: uvicorn, MapServer 8: `mapserv` als FastCGI über spawn-fcgi hinter "
        f"nginx, OGC API auf der WMS-Mapfile von BürgerGIS, `PGOPTIONS={MAPSERVER_SESSION}` wie "
        "unsere Verbindungen: keine Parallel-Worker, kein JIT), Last mit 2 Verbindungen (`wrk -t2 -c2`, `pgbench -c2 -j2 -M prepared`), "
        f"{DURATION_S} s je Lauf, {ROUNDS} Runden abwechselnd, gezeigt ist der Median mit min–max. "
        "„SQL (pgbench)“ ist genau die Anweisung, die BürgerGIS ausführt (Werte eingesetzt).",
        "",
        *_table(results, "SQL (pgbench)", "pygeoapi"),
        "",
        "Ziele: ≥ 5× pygeoapi, ≥ 1× MapServer, ≥ 80 % des nackten SQL, 304 mit ≥ 2.000 Anfragen/s.",
        "",
        f"### Wohin die Python-Rechenzeit von BürgerGIS geht (py-spy, {PROFILE_S} s unter derselben Last)",
        "",
        "Stichproben aller Worker, je Stapel dem innersten bekannten Teil zugeordnet "
        "(bench/profile.py); gezählt werden nur Threads, die den GIL halten (Python rechnet), "
        "nicht das Warten auf PostgreSQL, Sockets oder Warteschlangen: das SQL steht oben.",
        "",
        *profile.table(cpu),
        "",
        "### Wachstum der Tabelle (gleiche Dichte, je 5 s)",
        "",
        "| Objekte | BürgerGIS p50 ms | BürgerGIS Anfragen/s | SQL p50 ms |",
        "|---:|---:|---:|---:|",
        *(
            f"| {n:,} | {ours.p50_ms:.1f} | {ours.rps:,.0f} | {sql.p50_ms:.1f} |"
            for n, (ours, sql) in scales.items()
        ),
        "",
    ]


def _check_targets(results: dict[str, Result], cpu: Counter[str]) -> None:
    ours_r, sql_r = results["BürgerGIS"], results["SQL (pgbench)"]
    ours, sql = ours_r.rps, sql_r.rps
    peer, fresh = results["pygeoapi"].rps, results["BürgerGIS, If-None-Match → 304"].rps
    total = sum(cpu.values()) or 1
    shares = ", ".join(f"{name} {n / total:.0%}" for name, n in cpu.most_common(4))
    python_why = (
        f"je Anfrage {ours_r.p50_ms - sql_r.p50_ms:.1f} ms mehr als die Anweisungen allein (p50 "
        f"{ours_r.p50_ms:.1f} gegen {sql_r.p50_ms:.1f} ms): HTTP, Python-Rahmen und GeoJSON; "
        f"Python-Rechenzeit laut Profil dieses Laufs: {shares}."
    )
    targets.check(
        "Features", "≥ 5× pygeoapi", f"{targets.ratio(ours, peer):.1f}×", ours >= 5 * peer
    )
    mapserver = targets.ratio(ours, results["MapServer"].rps)
    targets.check(
        "Features", "≥ 1× MapServer (OGC API)", f"{mapserver:.2f}×", mapserver >= 1.0, python_why
    )
    share = targets.ratio(ours, sql)
    targets.check("Features", "≥ 0,8× nacktes SQL", f"{share:.2f}×", share >= 0.8, python_why)
    revalidated = results["BürgerGIS, If-None-Match → 304"]
    floor = revalidated.rps_min or fresh
    targets.check(
        "Features",
        "304 ≥ 2.000/s in jeder Runde",
        f"{floor:,.0f}/s (langsamste Runde)",
        floor >= 2000,
        f"Median {fresh:,.0f}/s, p50 {revalidated.p50_ms:.2f} ms: jede Antwort fragt die "
        "aktuelle Layerversion bei PostgreSQL ab (nie veraltet) und läuft durch gunicorn und "
        f"Python; zwei Verbindungen mit je {revalidated.p50_ms:.2f} ms tragen höchstens "
        f"{2000 / revalidated.p50_ms if revalidated.p50_ms else 0:,.0f}/s.",
    )


def main() -> None:
    """Standalone: print the section and keep it in ``bench/results/features.md``."""
    from bench.run import bench_context
    from buergergis.settings import PROJECT_ROOT

    report: list[str] = []
    with bench_context() as (settings, engine):
        run(report, settings, engine)
    out = PROJECT_ROOT / "bench" / "results" / "features.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(report) + "\n", encoding="utf-8")
    print("\n".join(report))


if __name__ == "__main__":
    main()
