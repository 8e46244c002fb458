"""Tile benchmark (section of ``make bench``; standalone: ``python -m bench.tiles``).

Same data for everyone: the 200,000 polygons of the feature benchmark (layer
``bench-polygons``) and a synthetic 1 m terrain COG of more than 50 MB (layer
``bench-terrain``), in the same PostgreSQL/PostGIS. Side by side, 2 workers per server and
2 connections per load generator:

* dense z14 vector tile, uncached: BürgerGIS vs MapServer vs tipg vs the bare ``ST_AsMVT`` SQL
  (pgbench);
* z14 PNG raster tile, uncached: BürgerGIS vs MapServer vs TiTiler;
* cached tile: BürgerGIS vs nginx serving the same bytes as a static file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import morecantile
import psycopg
from pyproj import Transformer
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from bench import targets
from bench.data import HAMELN_CENTRE, make_polygons
from bench.mapserver_peer import SESSION, getmap_path, mapserver_peer
from bench.tiles_tools import (
    DURATION_S,
    THREADS,
    WORKERS,
    Result,
    fetch,
    free_port,
    nginx,
    peer_bin,
    pgbench,
    server,
    wrk,
)
from buergergis.catalog.models import RasterLayer, RasterOptions, Source, VectorLayer
from buergergis.ingest.pipeline import load_layer
from buergergis.settings import Settings
from buergergis.store.catalog import LayerRecord, get_layer
from buergergis.tiles.grid import TileAddress
from buergergis.tiles.vector import build_query

POLYGONS = "bench-polygons"
TERRAIN = "bench-terrain"
N_POLYGONS = 200_000
TERRAIN_SIZE = 6000  # 6 km × 6 km at 1 m → about 90 MB as COG
GZIP = {"Accept-Encoding": "gzip"}
ROUNDS = 5
#: BürgerGIS runs tile statements without parallel workers (SET LOCAL); the bare SQL too.
SERIAL = "-c max_parallel_workers_per_gather=0"


def _centre_tile(z: int) -> TileAddress:
    lon, lat = Transformer.from_crs(25832, 4326, always_xy=True).transform(*HAMELN_CENTRE)
    tile = morecantile.tms.get("WebMercatorQuad").tile(lon, lat, z)
    return TileAddress(tile.z, tile.x, tile.y)


def ensure_layers(settings: Settings, engine: Engine) -> tuple[LayerRecord, LayerRecord]:
    """Load the benchmark layers unless they are already there."""
    work = settings.var / "bench"
    with engine.connect() as conn:
        polygons, terrain = (
            get_layer(conn, POLYGONS, include_private=True),
            get_layer(conn, TERRAIN, include_private=True),
        )
    if polygons is None or polygons.feature_count != N_POLYGONS:
        source = make_polygons(work / "polygons.fgb", N_POLYGONS)
        load_layer(
            engine,
            settings,
            VectorLayer(id=POLYGONS, title="Benchmark-Polygone", source=Source(path=str(source))),
        )
    if terrain is None or not terrain.raster_path or not Path(terrain.raster_path).exists():
        from bench.tiles_tools import make_terrain

        origin = (HAMELN_CENTRE[0] - TERRAIN_SIZE / 2, HAMELN_CENTRE[1] + TERRAIN_SIZE / 2)
        source = make_terrain(work / "terrain.tif", TERRAIN_SIZE, origin)
        definition = RasterLayer(
            kind="raster",
            id=TERRAIN,
            title="Benchmark-Gelände",
            source=Source(path=str(source)),
            raster=RasterOptions(mode="colormap", colormap="terrain"),
        )
        load_layer(engine, settings, definition)
    with engine.connect() as conn:
        polygons, terrain = get_layer(conn, POLYGONS), get_layer(conn, TERRAIN)
    assert polygons is not None and terrain is not None
    return polygons, terrain


def tcp_url(settings: Settings) -> str:
    """A TCP libpq URL (asyncpg in tipg does not take socket directories in ``?host=``)."""
    from buergergis.db.cluster import tcp_url as cluster_tcp_url

    url = make_url(cluster_tcp_url(settings))
    socket_dir = url.query.get("host")
    if socket_dir:
        port = int(str(url.query.get("port") or url.port or 5432))
        url = url.set(host="127.0.0.1", port=port, query={})
    return url.render_as_string(hide_password=False)


def bare_sql(settings: Settings, record: LayerRecord, tile: TileAddress) -> str:
    """BürgerGIS's tile statement with the values inlined (psycopg's quoting), as pgbench runs it."""
    query = build_query([record], tile)
    with psycopg.connect(settings.libpq_url()) as conn:
        return psycopg.ClientCursor(conn).mogrify(query.sql, query.params)


def ours_env(settings: Settings, var: Path, cache_mb: int) -> dict[str, str]:
    """Environment of a BürgerGIS server with its own var/ and tile cache size."""
    return {
        **os.environ,
        "DATABASE_URL": settings.libpq_url(),
        "BUERGERGIS_VAR_DIR": str(var),
        "BUERGERGIS_TILE_CACHE_MAX_MB": str(cache_mb),
        "BUERGERGIS_SECRET_KEY": "bench",
    }


def ours_cmd(port: int, worker_class: str = "gthread") -> list[str]:
    """gunicorn with 2 workers; gthread with ``THREADS`` threads as in ``make run``, or sync."""
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    threads = ["--threads", str(THREADS)] if worker_class == "gthread" else []
    return [
        gunicorn,
        *("--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS)),
        *("--worker-class", worker_class, *threads, "--log-level", "warning"),
        "buergergis:create_app()",
    ]


def uvicorn_cmd(peer: str, app: str, port: int) -> list[str]:
    """uvicorn with ``WORKERS`` processes, access log off."""
    return [
        str(peer_bin(peer) / "uvicorn"),
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(WORKERS),
        "--no-access-log",
        "--log-level",
        "warning",
    ]


def alternate(targets: dict[str, Callable[[], Result]], rounds: int = ROUNDS) -> dict[str, Result]:
    """Run every target ``rounds`` (≥ 3) times in turn; each target's median run, with the
    slowest and fastest round as ``rps_min``/``rps_max``.

    The machine is shared, so load from elsewhere comes and goes: alternating short runs give
    every server the same conditions, and the median with its spread shows how steady they were.
    """
    runs: dict[str, list[Result]] = {name: [] for name in targets}
    for _ in range(max(rounds, 3)):
        for name, measure in targets.items():
            runs[name].append(measure())
    medians = {}
    for name, results in runs.items():
        ordered = sorted(results, key=lambda r: r.rps)
        median = ordered[len(ordered) // 2]
        medians[name] = replace(median, rps_min=ordered[0].rps, rps_max=ordered[-1].rps)
    return medians


def start_ours(
    stack: contextlib.ExitStack, settings: Settings, cache_mb: int, worker_class: str = "gthread"
) -> tuple[str, Path]:
    """A BürgerGIS server with its own var/; returns its base URL and var/."""
    var = Path(stack.enter_context(tempfile.TemporaryDirectory()))
    port = free_port()
    probe = f"http://127.0.0.1:{port}/healthz"
    cmd = ours_cmd(port, worker_class)
    stack.enter_context(server(cmd, ours_env(settings, var, cache_mb), probe, cwd=var))
    return f"http://127.0.0.1:{port}", var


def vector_runs(settings: Settings, record: LayerRecord, tile: TileAddress) -> dict[str, Result]:
    """Dense z14 tile, uncached: bare SQL (pgbench), BürgerGIS (cache off), MapServer, tipg."""
    path = f"{tile.z}/{tile.x}/{tile.y}"
    sql = bare_sql(settings, record, tile)
    with contextlib.ExitStack() as stack:
        ours, _var = start_ours(stack, settings, 0)
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": tcp_url(settings),
            "TIPG_DB_SCHEMAS": '["layers"]',
            "TIPG_MAX_FEATURES_PER_TILE": "1000000",
        }
        probe = f"http://127.0.0.1:{port}/collections"
        stack.enter_context(server(uvicorn_cmd("tipg", "tipg.main:app", port), env, probe))
        ours_url = f"{ours}/tiles/{POLYGONS}/{path}.mvt"
        tipg_url = (
            f"http://127.0.0.1:{port}/collections/layers.{POLYGONS}/tiles/WebMercatorQuad/{path}"
        )
        ms_url = stack.enter_context(mapserver_peer(settings)) + getmap_path(POLYGONS, tile, "mvt")
        fetch(ours_url), fetch(tipg_url), fetch(ms_url)
        return alternate(
            {
                "SQL (pgbench)": lambda: pgbench(settings.libpq_url(), sql, options=SERIAL),
                "SQL (pgbench, Parallel-Worker an)": lambda: pgbench(settings.libpq_url(), sql),
                "BürgerGIS": lambda: wrk(ours_url),
                "MapServer": lambda: wrk(ms_url),
                "tipg": lambda: wrk(tipg_url),
            }
        )


def raster_runs(settings: Settings, record: LayerRecord, tile: TileAddress) -> dict[str, Result]:
    """z14 PNG, uncached: BürgerGIS (cache off) vs MapServer and TiTiler (same COG and ramp)."""
    path = f"{tile.z}/{tile.x}/{tile.y}"
    stats = record.report["raster"]["stats"]
    with contextlib.ExitStack() as stack:
        ours, _var = start_ours(stack, settings, 0)
        port = free_port()
        app = "titiler.application.main:app"
        probe = f"http://127.0.0.1:{port}/healthz"
        stack.enter_context(server(uvicorn_cmd("titiler", app, port), dict(os.environ), probe))
        query = (
            f"url={record.raster_path}&rescale={stats['min']},{stats['max']}&colormap_name=terrain"
        )
        titiler_url = f"http://127.0.0.1:{port}/cog/tiles/WebMercatorQuad/{path}.png?{query}"
        ours_url = f"{ours}/tiles/{TERRAIN}/{path}.png"
        ms_url = stack.enter_context(mapserver_peer(settings)) + getmap_path(
            TERRAIN, tile, "image/png"
        )
        for url in (ours_url, titiler_url, ms_url):
            assert fetch(url)[:8] == b"\x89PNG\r\n\x1a\n", url
        return alternate(
            {
                "BürgerGIS": lambda: wrk(ours_url),
                "MapServer": lambda: wrk(ms_url),
                "TiTiler": lambda: wrk(titiler_url),
            }
        )


def cached_runs(settings: Settings, tile: TileAddress) -> dict[str, Result]:
    """A cached tile: BürgerGIS (cache on, warmed) vs nginx serving the cached file."""
    path = f"{tile.z}/{tile.x}/{tile.y}"
    with contextlib.ExitStack() as stack:
        ours, var = start_ours(stack, settings, 512)
        ours_url = f"{ours}/tiles/{POLYGONS}/{path}.mvt"
        body = fetch(ours_url, GZIP)
        stored = next((var / "cache" / "tiles").rglob(f"{tile.y}.mvt.gz"))
        assert stored.read_bytes() == body, "nginx must serve the same bytes"
        root = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        target = root / "tiles" / POLYGONS / f"{path}.mvt"
        target.parent.mkdir(parents=True)
        shutil.copyfile(stored, target)
        (root / "ping").write_text("ok")
        for directory in [root, *(p for p in target.parents if root in p.parents)]:
            os.chmod(directory, 0o755)
        for file in (target, root / "ping"):
            os.chmod(file, 0o644)
        port = free_port()
        stack.enter_context(nginx(root, port))
        nginx_url = f"http://127.0.0.1:{port}/tiles/{POLYGONS}/{path}.mvt"
        assert fetch(nginx_url, GZIP) == body
        sync, _sync_var = start_ours(stack, settings, 512, "sync")
        sync_url = f"{sync}/tiles/{POLYGONS}/{path}.mvt"
        assert fetch(sync_url, GZIP) == body
        return alternate(
            {
                "BürgerGIS": lambda: wrk(ours_url, GZIP),
                "BürgerGIS (gunicorn sync-Worker)": lambda: wrk(sync_url, GZIP),
                "nginx": lambda: wrk(nginx_url, GZIP),
            }
        )


def _table(title: str, results: dict[str, Result], reference: str) -> list[str]:
    lines = [
        f"### {title}",
        "",
        f"| Server | Anfragen/s Median (min–max) | p50 ms | p99 ms | relativ zu {reference} |",
        "|---|---:|---:|---:|---:|",
    ]
    base = results[reference].rps
    for name, r in results.items():
        errors = f" ({r.errors} Fehler)" if r.errors else ""
        lines.append(
            f"| {name}{errors} | {r.rps_text(1)} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.rps / base:.2f}× |"
        )
    return [*lines, ""]


def run(report: list[str], settings: Settings, engine: Engine) -> None:
    """Run all three comparisons and append the Markdown section."""
    polygons, terrain = ensure_layers(settings, engine)
    load_before = os.getloadavg()[0]
    vector_tile, raster_tile = _centre_tile(14), _centre_tile(14)
    size_mb = Path(terrain.raster_path or "").stat().st_size / 1e6
    vector = vector_runs(settings, polygons, vector_tile)
    raster = raster_runs(settings, terrain, raster_tile)
    cached = cached_runs(settings, vector_tile)
    tile_bytes = len(fetch_tile_size(settings, polygons, vector_tile))
    load = f"{load_before:.1f} zu Beginn, {os.getloadavg()[0]:.1f} am Ende".replace(".", ",")
    _check_targets(vector, raster, cached)
    report += [
        "## Kacheln",
        "",
        f"Daten: `{POLYGONS}` ({polygons.feature_count} Polygone), dichte Kachel {vector_tile.z}/{vector_tile.x}/{vector_tile.y} "
        f"({tile_bytes / 1000:.0f} kB MVT); `{TERRAIN}` (COG {size_mb:.0f} MB, 1 m), Kachel {raster_tile.z}/{raster_tile.x}/{raster_tile.y}. "
        f"Je Server {WORKERS} Worker, Last mit 2 Verbindungen (`wrk -t2 -c2`, `pgbench -c2 -j2`), "
        f"{DURATION_S} s je Lauf; die Teilnehmer laufen {ROUNDS}-mal abwechselnd, gezeigt ist der "
        "Median jedes Teilnehmers mit langsamster und schnellster Runde (der Rechner wird mit "
        "anderen Prozessen geteilt). "
        "„SQL (pgbench)“ ist genau die Anweisung, die BürgerGIS für die Kachel ausführt, mit "
        "denselben Sitzungseinstellungen (keine Parallel-Worker, siehe docs/tiles.md); die Zeile "
        "„Parallel-Worker an“ zeigt dieselbe Anweisung mit PostgreSQL-Standard. BürgerGIS läuft "
        f"wie bei `make run` (gunicorn gthread, {THREADS} Threads); beim Cache-Treffer zusätzlich mit "
        f"sync-Workern. Lastmittel des Rechners (1 min) während der Messung: {load}.",
        "",
        *mapserver_text(vector_tile),
        "",
        *_table(
            "Vektorkachel z14, ungecacht (Ziele: ≥ 0,9× nacktes SQL, ≥ 1,1× MapServer)",
            vector,
            "MapServer",
        ),
        *_table(
            "Rasterkachel z14 PNG, ungecacht (Ziele: ≥ 2× TiTiler, ≥ 1× MapServer)",
            raster,
            "MapServer",
        ),
        *_table("Gecachte Kachel (Ziel: ≥ 50 % von nginx)", cached, "nginx"),
    ]


def mapserver_text(tile: TileAddress) -> list[str]:
    """What MapServer does in this section, and how its requests differ from ours."""
    return [
        "MapServer 8 (Debian `cgi-mapserver`) läuft als FastCGI (spawn-fcgi, "
        f"{WORKERS} Prozesse) hinter nginx mit der Mapfile, aus der BürgerGIS seinen WMS "
        "zeichnet; seine PostgreSQL-Verbindungen haben dieselben Sitzungseinstellungen wie "
        f"unsere (`PGOPTIONS={SESSION}`: keine Parallel-Worker, kein JIT). Vektorkachel: WMS "
        f"GetMap `FORMAT=mvt` über genau die Kachel {tile.z}/{tile.x}/{tile.y} in EPSG:3857 "
        "(Ausdehnung 4096, Puffer 64 Einheiten wie bei uns, alle Attribute, `gid` als Id); "
        "MapServer wählt dabei nur Objekte, deren Rechteck die Kachel selbst schneidet (der "
        "Puffer gilt nur beim Zuschneiden), liefert also etwas weniger Objekte als wir. "
        "Rasterkachel: WMS GetMap 256×256 PNG derselben Kachel aus derselben COG mit "
        "derselben Farbrampe.",
    ]


def _check_targets(
    vector: dict[str, Result], raster: dict[str, Result], cached: dict[str, Result]
) -> None:
    ours, sql = vector["BürgerGIS"], vector["SQL (pgbench)"]
    share = targets.ratio(ours.rps, sql.rps)
    targets.check(
        "Kacheln", "Vektorkachel z14 ≥ 0,9× nacktes SQL", f"{share:.2f}×", share >= 0.9,
        f"je Kachel {ours.p50_ms - sql.p50_ms:.1f} ms mehr als die Anweisung allein (p50 "
        f"{ours.p50_ms:.1f} gegen {sql.p50_ms:.1f} ms): HTTP, Flask und das Lesen und Senden der "
        "ganzen Kachel aus PostgreSQL; die Anweisung selbst ist dieselbe.",
    )  # fmt: skip
    ahead = targets.ratio(ours.rps, vector["MapServer"].rps)
    targets.check(
        "Kacheln", "Vektorkachel z14 ungecacht ≥ 1,1× MapServer", f"{ahead:.2f}×", ahead >= 1.1
    )
    times = targets.ratio(raster["BürgerGIS"].rps, raster["TiTiler"].rps)
    targets.check("Kacheln", "Rasterkachel z14 ≥ 2× TiTiler", f"{times:.2f}×", times >= 2)
    png = targets.ratio(raster["BürgerGIS"].rps, raster["MapServer"].rps)
    targets.check(
        "Kacheln", "Rasterkachel z14 PNG ≥ 1× MapServer", f"{png:.2f}×", png >= 1.0,
        f"p50 {raster['BürgerGIS'].p50_ms:.1f} gegen {raster['MapServer'].p50_ms:.1f} ms: "
        "Lesen aus der Web-Mercator-VRT (GDAL), Paletten-PNG (Pillow), dazwischen Python, "
        "Flask und gunicorn; MapServer macht alles in einem C-Durchgang.",
    )  # fmt: skip
    hit_ours, hit_nginx = cached["BürgerGIS"], cached["nginx"]
    hit = targets.ratio(hit_ours.rps, hit_nginx.rps)
    targets.check(
        "Kacheln", "gecachte Kachel ≥ 0,5× nginx", f"{hit:.2f}×", hit >= 0.5,
        f"p50 {hit_ours.p50_ms:.2f} gegen {hit_nginx.p50_ms:.2f} ms: jede Antwort durch Python "
        "(gunicorn, WSGI) kostet mehr als nginx' sendfile; deshalb liefert im Betrieb nginx "
        "gecachte Kacheln selbst aus (versionierte URLs, Abschnitt „Mehrere App-Instanzen“).",
    )  # fmt: skip


def fetch_tile_size(settings: Settings, record: LayerRecord, tile: TileAddress) -> bytes:
    """The dense tile's bytes (for the report)."""
    from buergergis.tiles.vector import render_mvt

    with psycopg.connect(settings.libpq_url()) as conn:
        return render_mvt(conn, build_query([record], tile))


def main() -> None:
    """Standalone: print the section and keep it in ``bench/results/tiles.md``.

    ``docs/benchmarks.md`` is only written by ``make bench`` (all sections together).
    """
    from bench.run import bench_context

    report: list[str] = []
    with bench_context() as (settings, engine):
        run(report, settings, engine)
    out = Path(__file__).resolve().parent / "results" / "tiles.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(report) + "\n", encoding="utf-8")
    print("\n".join(report))


if __name__ == "__main__":
    main()
