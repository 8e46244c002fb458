"""WMS GetMap benchmark (section of ``make bench``; standalone: ``python -m bench.wms``).

The 200,000 polygons of the tile benchmark (``bench-polygons``), one 512×512 PNG GetMap of
1 km² in the city centre (EPSG:25832), side by side with 2 workers per server and
2 connections (``wrk``):

* BürgerGIS ``/wms`` (gunicorn gthread as in ``make run``; MapServer through mapscript);
* MapServer itself: ``mapserv`` as FastCGI (``spawn-fcgi``, 2 processes) behind nginx, with
  the very mapfile BürgerGIS renders from (written by mapscript, classes from the SLD included).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine

from bench import targets
from bench.data import HAMELN_CENTRE
from bench.tiles import POLYGONS, ROUNDS, _table, alternate, ensure_layers, start_ours
from bench.tiles_tools import DURATION_S, WORKERS, fetch, free_port, server, wrk
from buergergis.ows.engine import MapEngine
from buergergis.settings import Settings

SIZE = 512
HALF_M = 500


def getmap_query() -> str:
    """The GetMap request (query string) both servers answer."""
    x, y = HAMELN_CENTRE
    bbox = f"{x - HALF_M},{y - HALF_M},{x + HALF_M},{y + HALF_M}"
    return (
        f"SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS={POLYGONS}&STYLES=&CRS=EPSG:25832"
        f"&BBOX={bbox}&WIDTH={SIZE}&HEIGHT={SIZE}&FORMAT=image/png&TRANSPARENT=TRUE"
    )


def write_mapfile(settings: Settings, engine: Engine, path: Path) -> None:
    """The mapfile BürgerGIS renders from, styles applied, as MapServer itself saves it."""
    map_engine = MapEngine(engine, settings)
    map_engine.records()  # builds the map
    map_engine._current().save(str(path))


@contextlib.contextmanager
def mapserver(mapfile: Path, port: int, pgoptions: str = "") -> Iterator[None]:
    """mapserv (FastCGI, ``WORKERS`` processes via spawn-fcgi) behind nginx on ``port``.

    ``/wms?…`` answers OWS requests (WMS, also ``FORMAT=mvt``); ``/mapserv/bench/ogcapi/…``
    is MapServer's OGC API on the same mapfile (map key ``bench``). ``pgoptions`` become the
    ``PGOPTIONS`` of mapserv, i.e. the session settings of its PostgreSQL connections.
    """
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        # spawn-fcgi -n runs exactly one process (-F is ignored without forking), so there is
        # one spawn-fcgi per worker, each on its own port, and nginx spreads the requests
        fcgi_ports = [free_port() for _ in range(WORKERS)]
        spawns = [
            [
                "spawn-fcgi", "-n", "-a", "127.0.0.1", "-p", str(fcgi),
                "--", shutil.which("mapserv") or "/usr/bin/mapserv",
            ]
            for fcgi in fcgi_ports
        ]  # fmt: skip
        # max_fails=0: a backend refused while it was still starting is never marked down
        # (each nginx worker would otherwise answer "no live upstreams" for 10 s)
        upstream = " ".join(f"server 127.0.0.1:{fcgi} max_fails=0;" for fcgi in fcgi_ports)
        conf = Path(tmp) / "nginx.conf"
        temp_paths = " ".join(
            f"{k}_temp_path {tmp}/{k};"
            for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (Path(tmp) / "ping").write_text("ok")
        os.chmod(Path(tmp) / "ping", 0o644)
        conf.write_text(
            f"worker_processes {WORKERS}; daemon off; pid {tmp}/nginx.pid; error_log {tmp}/error.log;\n"
            "events { worker_connections 256; }\n"
            f"http {{ access_log off; {temp_paths}\n"
            f"  upstream mapserv {{ least_conn; {upstream} }}\n"
            f"  server {{ listen 127.0.0.1:{port}; root {tmp};\n"
            "    location = /ping { }\n"
            "    location /wms { include /etc/nginx/fastcgi_params; fastcgi_pass mapserv;"
            f" fastcgi_param MS_MAPFILE {mapfile};"
            f" fastcgi_param MAPSERVER_CONFIG_FILE {tmp}/mapserver.conf; }}\n"
            "    location /mapserv/ { fastcgi_split_path_info ^(/mapserv)(/.*)$;"
            " include /etc/nginx/fastcgi_params; fastcgi_pass mapserv;"
            " fastcgi_param PATH_INFO $fastcgi_path_info;"
            f" fastcgi_param MAPSERVER_CONFIG_FILE {tmp}/mapserver.conf; }} }} }}\n"
        )
        config = Path(tmp) / "mapserver.conf"  # MapServer 8 needs its config file
        config.write_text(
            f'CONFIG\n  ENV\n    MS_MAPFILE "{mapfile}"\n  END\n'
            f'  MAPS\n    "bench" "{mapfile}"\n  END\nEND\n'
        )
        env = {**os.environ, "MAPSERVER_CONFIG_FILE": str(config), "MS_MAPFILE": str(mapfile)}
        if pgoptions:
            env["PGOPTIONS"] = pgoptions
        nginx = ["nginx", "-c", str(conf), "-p", tmp]
        with contextlib.ExitStack() as stack:
            stack.enter_context(server(nginx, dict(os.environ), f"http://127.0.0.1:{port}/ping"))
            # ready when nginx gets capabilities through FastCGI (502 until then); each
            # spawn-fcgi binds its port before mapserv starts, so later requests wait for it
            probe = f"http://127.0.0.1:{port}/wms?SERVICE=WMS&REQUEST=GetCapabilities"
            for spawn in spawns:
                stack.enter_context(server(spawn, env, probe))
            yield


def run(report: list[str], settings: Settings, engine: Engine) -> None:
    """GetMap: BürgerGIS /wms vs MapServer (FastCGI) on the same mapfile."""
    polygons, _terrain = ensure_layers(settings, engine)
    query = getmap_query()
    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        mapfile = work / "buergergis.map"
        write_mapfile(settings, engine, mapfile)
        ours, _var = start_ours(stack, settings, 0)
        port = free_port()
        stack.enter_context(mapserver(mapfile, port))
        ours_url, ms_url = f"{ours}/wms?{query}", f"http://127.0.0.1:{port}/wms?{query}"
        for url in (ours_url, ms_url):
            assert fetch(url)[:8] == b"\x89PNG\r\n\x1a\n", url
        results = alternate(
            {"BürgerGIS /wms": lambda: wrk(ours_url), "MapServer (FastCGI)": lambda: wrk(ms_url)}
        )
    share = targets.ratio(results["BürgerGIS /wms"].rps, results["MapServer (FastCGI)"].rps)
    targets.check("WMS", "GetMap ≥ 0,5× MapServer (FastCGI)", f"{share:.2f}×", share >= 0.5)
    report += [
        "## WMS GetMap",
        "",
        f"Daten: `{POLYGONS}` ({polygons.feature_count} Polygone), GetMap {SIZE}×{SIZE} PNG über "
        f"1 km² im Zentrum (EPSG:25832). Je Server {WORKERS} Worker, `wrk -t2 -c2`, {DURATION_S} s "
        f"je Lauf, {ROUNDS} Runden abwechselnd (Median, langsamste–schnellste Runde). MapServer "
        "läuft als FastCGI (spawn-fcgi) hinter nginx mit genau der Mapfile, aus der BürgerGIS "
        "zeichnet; BürgerGIS zeichnet mit MapServer über mapscript (eine Kopie der Karte je "
        "Anfrage, ein Zeichenvorgang je Prozess zugleich).",
        "",
        *_table("GetMap 512×512 PNG", results, "MapServer (FastCGI)"),
    ]


def main() -> None:
    """Standalone: print the section and keep it in ``bench/results/wms.md``."""
    from bench.run import bench_context

    report: list[str] = []
    with bench_context() as (settings, engine):
        run(report, settings, engine)
    out = Path(__file__).resolve().parent / "results" / "wms.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(report) + "\n", encoding="utf-8")
    print("\n".join(report))


if __name__ == "__main__":
    main()
