"""Deep pages (section of ``make bench``; standalone: ``python -m bench.run bench.paging``).

A layer of 1,000,000 points is written by PostGIS itself (``generate_series`` → CSV with x/y)
and loaded through the normal pipeline. Against one BürgerGIS server the same page size
(``limit=10``, GDAL's default page is similar) is timed at the start and at the end of the
collection: the first page, the last page reached through the ``next`` links (keyset cursor),
and the last page asked for with ``offset`` as clients that build URLs themselves do.
Target: the last page through ``next`` within 2× the first page.
"""

from __future__ import annotations

import contextlib
import json
import math
import statistics
import time
import urllib.error
from collections.abc import Callable
from pathlib import Path

import psycopg
from sqlalchemy import Engine

from bench import targets
from bench.tiles import start_ours
from bench.tiles_tools import fetch
from buergergis.catalog.models import Attribute, Source, VectorLayer
from buergergis.ingest.pipeline import load_layer
from buergergis.settings import Settings
from buergergis.store.catalog import LayerRecord, get_layer

LAYER = "bench-paging-1m"
N = 1_000_000
LIMIT = 10
REPEAT = 15
#: Points on a grid around Hameln (EPSG:25832) with a few attributes, written by PostGIS.
_SERIES = """
COPY (
  SELECT i AS nr, 'Punkt ' || i AS name, (i::bigint * 7919 % 10000) / 10.0 AS wert,
         520000 + (i % 1000) * 10 AS x, 5768000 + (i / 1000) * 10 AS y
  FROM generate_series(1, 1000000) AS i
) TO STDOUT WITH (FORMAT csv, HEADER)
"""


def ensure_points(settings: Settings, engine: Engine) -> LayerRecord:
    """The 1,000,000-point layer (generated and loaded unless it is there)."""
    with engine.connect() as conn:
        record = get_layer(conn, LAYER, include_private=True)
    if record is None or record.feature_count != N:
        path = settings.var / "bench" / "paging-1m.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_series(settings, path)
        definition = VectorLayer(
            id=LAYER,
            title="Benchmark: 1.000.000 Punkte",
            source=Source(path=str(path), x="x", y="y", crs="EPSG:25832"),
            attributes=(
                Attribute(name="nr", type="integer"),
                Attribute(name="name"),
                Attribute(name="wert", type="float"),
            ),
        )
        load_layer(engine, settings, definition)
        with engine.connect() as conn:
            record = get_layer(conn, LAYER, include_private=True)
    assert record is not None and record.feature_count == N
    return record


def _write_series(settings: Settings, path: Path) -> None:
    with (
        psycopg.connect(settings.libpq_url()) as conn,
        conn.cursor() as cur,
        cur.copy(_SERIES) as copy,
        path.open("wb") as out,
    ):
        for data in copy:
            out.write(bytes(data))


def _timed(url: str) -> tuple[float, float, int]:
    """Median and maximum (ms) of ``REPEAT`` sequential requests after one warm-up, and how
    many of them failed (a 503 when a query runs into the statement timeout)."""
    times, failed = [], 0
    for i in range(REPEAT + 1):
        start = time.perf_counter()
        try:
            fetch(url)
        except urllib.error.HTTPError:
            failed += i > 0
            continue
        if i:
            times.append((time.perf_counter() - start) * 1000)
    if not times:
        return math.nan, math.nan, failed
    return statistics.median(times), max(times), failed


def _next_of(url: str) -> str:
    links = json.loads(fetch(url))["links"]
    return next(link["href"] for link in links if link["rel"] == "next")


def _last_by_next(items: str, sortby: str) -> str:
    """The ``next`` link that leads to the last page (from the page before it)."""
    return _next_of(f"{items}?limit={LIMIT}&offset={N - 2 * LIMIT}{sortby}")


def measure(base: str) -> list[tuple[str, str, Callable[[], str]]]:
    """(order, page, URL factory) of every measured request."""
    items = f"{base}/ogc/collections/{LAYER}/items"
    rows: list[tuple[str, str, Callable[[], str]]] = []
    for label, sortby in (("gid (Standard)", ""), ("sortby=-wert", "&sortby=-wert")):
        rows += [
            (label, "erste Seite", lambda s=sortby: f"{items}?limit={LIMIT}{s}"),
            (label, "letzte Seite über next (Cursor)", lambda s=sortby: _last_by_next(items, s)),
            (
                label,
                "letzte Seite über offset",
                lambda s=sortby: f"{items}?limit={LIMIT}&offset={N - LIMIT}{s}",
            ),
        ]
    return rows


def run(report: list[str], settings: Settings, engine: Engine) -> None:
    """Time first and last pages and append the Markdown section."""
    layer = ensure_points(settings, engine)
    results: list[tuple[str, str, float, float, int]] = []
    with contextlib.ExitStack() as stack:
        base, _var = start_ours(stack, settings, 0)
        for order, page, make_url in measure(base):
            median, worst, failed = _timed(make_url())
            results.append((order, page, median, worst, failed))
    first = {order: median for order, page, median, _, _ in results if page == "erste Seite"}
    by_next = next(m for o, p, m, _, _ in results if o == "gid (Standard)" and "next" in p)
    times = targets.ratio(by_next, first["gid (Standard)"])
    goal = "letzte Seite über next ≤ 2× erste Seite (1.000.000 Objekte)"
    targets.check("Tiefe Seiten", goal, f"{times:.1f}×", times <= 2)
    report += [
        "## Tiefe Seiten (Keyset-Blättern)",
        "",
        f"`{LAYER}`: {layer.feature_count:,} Punkte, in PostGIS mit `generate_series` erzeugt und "
        f"über die normale Ladekette geladen. `limit={LIMIT}`, je Zeile {REPEAT} Anfragen "
        "nacheinander an einen BürgerGIS-Server (gunicorn), Median und Maximum. Ziel: die letzte "
        "Seite über die `next`-Links höchstens 2× so lange wie die erste.",
        "",
        "| Sortierung | Seite | Median ms | Max ms | vs. erste Seite | 503 (Zeitlimit) |",
        "|---|---|---:|---:|---:|---:|",
        *(
            f"| {order} | {page} | {median:.1f} | {worst:.1f} | "
            f"{median / first[order]:.1f}× | {failed} von {REPEAT} |"
            for order, page, median, worst, failed in results
        ),
        "",
        "Ohne `sortby` setzt der Cursor im Primärschlüssel-Index auf (`gid > …`), die letzte Seite "
        "kostet wie die erste. Mit `sortby` auf einer Spalte ohne Index liest jede Seite die "
        "Tabelle einmal (Top-N-Sortierung); der Cursor erspart dabei das Überspringen, `offset` "
        "muss alle Objekte davor sortiert durchreichen.",
        "",
    ]
