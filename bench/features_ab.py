"""A/B of the items request: this working tree against a git revision, in one sitting.

``python -m bench.features_ab REV [ROUNDS]`` loads ``bench-polygons`` into a benchmark database
of its own (as ``make bench``), starts two BürgerGIS servers — this tree and the
``buergergis`` package of ``REV`` (``git archive``, first on ``PYTHONPATH``) — and MapServer,
and runs the request of the features section (dense bbox, ``limit=100``, ``numberMatched``)
and its 304, beside the bare SQL (pgbench), in alternating rounds (median, min–max).

The machine is shared, so requests per second swing with other people's load. Each run of a
BürgerGIS server therefore also reports the CPU time it cost per request, read from
``/proc``: its gunicorn processes, and the PostgreSQL backends of the benchmark database
(only that server talks to the database during its run). CPU per request is what load from
elsewhere changes least. Writes no document (``docs/benchmarks.md`` is ``make bench``'s).
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import psycopg

from bench.features import (
    N_POLYGONS,
    POLYGONS,
    SESSION,
    _check,
    _etag,
    bare_sql,
    bbox_param,
    ensure_polygons,
    items_path,
)
from bench.mapserver_peer import items_path as mapserver_items
from bench.mapserver_peer import mapserver_peer
from bench.profile import listening_pids
from bench.tiles import ours_cmd, ours_env, start_ours
from bench.tiles_tools import DURATION_S, Result, free_port, pgbench, server, wrk
from buergergis.settings import PROJECT_ROOT, Settings

ROUNDS = 5
_TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Cpu:
    """CPU milliseconds per request: the app's processes and PostgreSQL's backends."""

    app_ms: float
    db_ms: float


@contextlib.contextmanager
def baseline_server(settings: Settings, rev: str) -> Iterator[str]:
    """A BürgerGIS server running the ``buergergis`` package of git revision ``rev`` on the
    same database; yields its base URL."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        archive = subprocess.run(
            ["git", "archive", rev, "buergergis"], cwd=PROJECT_ROOT, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(root)], input=archive, check=True)
        (root / "var").mkdir()
        port = free_port()
        env = {**ours_env(settings, root / "var", 0), "PYTHONPATH": str(root)}
        with server(ours_cmd(port), env, f"http://127.0.0.1:{port}/healthz", cwd=root / "var"):
            yield f"http://127.0.0.1:{port}"


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes (gone ones count 0)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / _TICK


def backends(libpq_url: str) -> list[int]:
    """The PostgreSQL backends of the benchmark database (not this connection)."""
    with psycopg.connect(libpq_url) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return [int(row[0]) for row in rows]


def measured(url: str, headers: dict[str, str], libpq_url: str) -> tuple[Result, Cpu]:
    """``wrk`` on ``url`` and the CPU it cost per request (server and database)."""
    port = int(url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
    app, db = listening_pids(port), backends(libpq_url)
    app_before, db_before = cpu_seconds(app), cpu_seconds(db)
    result = wrk(url, headers)
    db = sorted(set(db) | set(backends(libpq_url)))  # a worker thread may have connected
    requests = max(result.rps * DURATION_S, 1.0)
    app_ms = (cpu_seconds(app) - app_before) / requests * 1000
    db_ms = (cpu_seconds(db) - db_before) / requests * 1000
    return result, Cpu(app_ms, db_ms)


def rounds_of(work: dict[str, Callable[[], tuple[Result, Cpu | None]]], rounds: int) -> list[str]:
    """Run every target ``rounds`` times in turn; Markdown rows with medians."""
    runs: dict[str, list[tuple[Result, Cpu | None]]] = {name: [] for name in work}
    for _ in range(rounds):
        for name, measure in work.items():
            runs[name].append(measure())
    medians = {}
    for name, results in runs.items():
        ordered = sorted((r for r, _ in results), key=lambda r: r.rps)
        medians[name] = replace(
            ordered[len(ordered) // 2], rps_min=ordered[0].rps, rps_max=ordered[-1].rps
        )
    floor, peer = medians["SQL (pgbench)"].rps, medians["MapServer"].rps
    lines = [
        "| | Anfragen/s Median (min–max) | p50 ms | p99 ms | vs. SQL | vs. MapServer "
        "| CPU ms/Anfrage App | CPU ms/Anfrage PostgreSQL |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in medians.items():
        cpus = [c for _, c in runs[name] if c is not None]
        app = f"{statistics.median(c.app_ms for c in cpus):.2f}" if cpus else ""
        db = f"{statistics.median(c.db_ms for c in cpus):.2f}" if cpus else ""
        lines.append(
            f"| {name} | {r.rps_text()} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | "
            f"{r.rps / floor:.0%} | {r.rps / peer:.2f}× | {app} | {db} |"
        )
    return lines


def ab(baseline: str, rounds: int = ROUNDS) -> list[str]:
    """Items and 304 of this tree and of ``baseline``, beside the bare SQL and MapServer."""
    from bench.run import bench_context

    with bench_context() as (settings, engine):
        layer = ensure_polygons(settings, engine, POLYGONS, N_POLYGONS)
        sql, libpq = bare_sql(settings, layer), settings.libpq_url()
        with psycopg.connect(libpq) as conn:
            matched = int(conn.execute(sql).fetchone()[0])  # type: ignore[index]
        with contextlib.ExitStack() as stack:
            ours, _var = start_ours(stack, settings, 0)
            before = stack.enter_context(baseline_server(settings, baseline))
            mapserv = stack.enter_context(mapserver_peer(settings))
            servers = {"BürgerGIS": ours, f"BürgerGIS {baseline}": before}
            urls = {name: base + "/ogc" + items_path(POLYGONS) for name, base in servers.items()}
            peer = mapserv + mapserver_items(POLYGONS, f"bbox={bbox_param()}&limit=100")
            for url in [*urls.values(), peer]:
                _check(url, matched)
                wrk(url, duration=2)  # warm-up: every worker thread opens its connection
            work: dict[str, Callable[[], tuple[Result, Cpu | None]]] = {
                "SQL (pgbench)": lambda: (pgbench(libpq, sql, options=SESSION), None),
                "MapServer": lambda: (wrk(peer), None),
            }
            for name, url in urls.items():
                work[name] = partial(measured, url, {}, libpq)
            for name, url in urls.items():
                fresh = {"If-None-Match": _etag(url)}
                work[f"{name}, If-None-Match → 304"] = partial(measured, url, fresh, libpq)
            return rounds_of(work, rounds)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("python -m bench.features_ab REV [ROUNDS]")
    print("\n".join(ab(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else ROUNDS)))
