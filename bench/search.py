"""Search benchmark (section of ``make bench``; standalone: ``python -m bench.search``).

Two public layers of 200,000 features each are searchable: address points
(``bench-search-adressen``: 708 street names × 5 districts × house numbers) and parcels
(``bench-search-flurstuecke``: the polygons of ``bench/data.py``, searched by parcel name and
land use). One BürgerGIS server as in ``make run`` (gunicorn, 2 workers × 4 threads).

1. ``/search`` latency, one client, keep-alive: a mix of address spellings, names, a typo and
   two queries that match a large part of the data ("Hameln", "Wohnen"); p50/p95 overall and
   per query.
2. An items request (1 km² bbox on the parcels, ``limit=100``) measured alone, then while
   ten connections search without pause (``wrk -c10``, the queries in turn).
"""

from __future__ import annotations

import contextlib
import http.client
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import geopandas as gpd
import numpy as np
from sqlalchemy import Engine

from bench.data import HAMELN_CENTRE, make_polygons
from bench.features import bbox_param
from bench.tiles import start_ours
from bench.tiles_tools import Result, fetch
from buergergis.catalog.models import Attribute, Source, Style, VectorLayer
from buergergis.ingest.pipeline import load_layer
from buergergis.settings import Settings
from buergergis.store.catalog import get_layer

N = 200_000
ADDRESSES, PARCELS = "bench-search-adressen", "bench-search-flurstuecke"
ROUNDS = 25
CONCURRENT = 10
LOAD_S = 14
QUERIES = (
    "Lindenstraße 12",
    "lindenstr. 12",
    "Lindenstrasse 12",
    "Mühlenweg 7",
    "muehlenweg",
    "Eichenallee 3 Afferde",
    "Rosenring",
    "Flur 12, 345",
    "Flur 7",
    "Lindenstrase 12",  # typo: the similarity tier
    "Hameln",  # in every address
    "Wohnen",  # land use of one parcel in six
)
_STEMS = [
    "Linden",
    "Eichen",
    "Birken",
    "Mühlen",
    "Kirch",
    "Schul",
    "Garten",
    "Berg",
    "Bach",
    "Wiesen",
    "Rosen",
    "Tannen",
    "Buchen",
    "Ahorn",
    "Ulmen",
    "Erlen",
    "Weiden",
    "Kastanien",
    "Holunder",
    "Flieder",
    "Nelken",
    "Tulpen",
    "Lerchen",
    "Finken",
    "Amsel",
    "Drossel",
    "Meisen",
    "Falken",
    "Sonnen",
    "Mond",
    "Stern",
    "Brunnen",
    "Mühlbach",
    "Steinbruch",
    "Ziegel",
    "Schmiede",
    "Bäcker",
    "Fischer",
    "Weber",
    "Müller",
    "Schäfer",
    "Jäger",
    "Förster",
    "Hirten",
    "Anger",
    "Dorf",
    "Feld",
    "Wald",
    "Heide",
    "Moor",
    "Teich",
    "See",
    "Quellen",
    "Hohe",
    "Breite",
    "Lange",
    "Kurze",
    "Neue",
    "Alte",
]
_SUFFIXES = ("straße", "weg", "allee", "ring", "gasse", "platz", "pfad", "damm", "steig",
             "hof", "kamp", "stieg")  # fmt: skip
_DISTRICTS = ("Kernstadt", "Afferde", "Klein Berkel", "Rohrsen", "Tündern")


def make_addresses(path: Path, n: int, seed: int = 7) -> Path:
    """``n`` address points (street × district × number) around the centre, as FlatGeobuf."""
    rng = np.random.default_rng(seed)
    streets = [stem + suffix for stem in _STEMS for suffix in _SUFFIXES]
    per_street = -(-n // (len(streets) * len(_DISTRICTS)))
    rows = [
        (f"{street} {number}", district)
        for district in _DISTRICTS
        for street in streets
        for number in range(1, per_street + 1)
    ][:n]
    frame = gpd.GeoDataFrame(
        {
            "nr": [f"a{i}" for i in range(n)],
            "adresse": [r[0] for r in rows],
            "ort": ["31785 Hameln"] * n,
            "ortsteil": [r[1] for r in rows],
        },
        geometry=gpd.points_from_xy(
            rng.normal(HAMELN_CENTRE[0], 4_000, n), rng.normal(HAMELN_CENTRE[1], 4_000, n)
        ),
        crs="EPSG:25832",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_file(path, driver="FlatGeobuf", engine="pyogrio")
    return path


def _definitions(work: Path) -> dict[str, tuple[VectorLayer, Path]]:
    text_attrs = ("adresse", "ort", "ortsteil")
    return {
        ADDRESSES: (
            VectorLayer(
                id=ADDRESSES, title="Benchmark-Adressen", source=Source(path=str(work / "a.fgb")),
                id_column="nr", attributes=tuple(Attribute(name=a) for a in ("nr", *text_attrs)),
                style=Style(label="adresse"), search=text_attrs,
            ),
            work / "a.fgb",
        ),
        PARCELS: (
            VectorLayer(
                id=PARCELS, title="Benchmark-Flurstücke", source=Source(path=str(work / "p.fgb")),
                style=Style(label="flurstueck"), search=("flurstueck", "nutzung"),
            ),
            work / "p.fgb",
        ),
    }  # fmt: skip


def ensure_layers(settings: Settings, engine: Engine) -> dict[str, float]:
    """Load both layers unless present; returns load seconds (search index included)."""
    work = settings.var / "bench" / "search"
    seconds = {}
    for layer_id, (definition, path) in _definitions(work).items():
        with engine.connect() as conn:
            record = get_layer(conn, layer_id, include_private=True)
        if record is not None and record.feature_count == N:
            continue
        if not path.exists():
            make_addresses(path, N) if layer_id == ADDRESSES else make_polygons(path, N, seed=11)
        started = time.perf_counter()
        load_layer(engine, settings, definition)
        seconds[layer_id] = time.perf_counter() - started
    return seconds


class Client:
    """One keep-alive HTTP connection; returns latency in ms per GET (asserts 200)."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)

    def get(self, path: str) -> float:
        started = time.perf_counter()
        self.conn.request("GET", path)
        response = self.conn.getresponse()
        response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status}")
        return elapsed


def search_path(q: str) -> str:
    """The benchmark's search request."""
    return f"/search?q={quote(q)}&limit=10"


def items_path() -> str:
    """The items request measured idle and under search load."""
    return f"/ogc/collections/{PARCELS}/items?bbox={bbox_param()}&limit=100"


def p95(values: list[float]) -> float:
    """95th percentile (inclusive method)."""
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def search_latencies(base: str) -> dict[str, list[float]]:
    """Each query ``ROUNDS`` times, interleaved, one client."""
    client = Client(base)
    for q in QUERIES:  # warm-up: every query once
        client.get(search_path(q))
    result: dict[str, list[float]] = {q: [] for q in QUERIES}
    for _ in range(ROUNDS):
        for q in QUERIES:
            result[q].append(client.get(search_path(q)))
    return result


def items_latencies(base: str, seconds: float) -> list[float]:
    """Items requests back to back for ``seconds``."""
    client = Client(base)
    client.get(items_path())
    values = []
    until = time.perf_counter() + seconds
    while time.perf_counter() < until:
        values.append(client.get(items_path()))
    return values


def _wrk_script(directory: Path) -> Path:
    paths = ", ".join(f'"{search_path(q)}"' for q in QUERIES)
    script = directory / "search.lua"
    script.write_text(
        f"local paths = {{{paths}}}\nlocal i = 0\n"
        "request = function()\n  i = i + 1\n"
        "  return wrk.format('GET', paths[(i % #paths) + 1])\nend\n"
    )
    return script


def under_search_load(base: str) -> tuple[list[float], Result]:
    """Items latencies while ``CONCURRENT`` connections search; and the search load's figures."""
    from bench.tiles_tools import _wrk_ms

    with tempfile.TemporaryDirectory() as tmp:
        cmd = ["wrk", "-t", "2", "-c", str(CONCURRENT), "-d", f"{LOAD_S}s", "--latency"]
        cmd += ["-s", str(_wrk_script(Path(tmp))), base]
        box: dict[str, str] = {}
        runner = threading.Thread(
            target=lambda: box.update(
                out=subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            )
        )
        runner.start()
        time.sleep(2)
        items = items_latencies(base, LOAD_S - 4)
        runner.join()
    out = box["out"]
    rps = float(out.split("Requests/sec:")[1].split()[0])
    errors = int(out.split("Non-2xx or 3xx responses:")[1].split()[0]) if "Non-2xx" in out else 0
    return items, Result(rps, _wrk_ms(out, "50%"), _wrk_ms(out, "99%"), errors)


def run(report: list[str], settings: Settings, engine: Engine) -> None:
    """Run both measurements and append the Markdown section."""
    loads = ensure_layers(settings, engine)
    with contextlib.ExitStack() as stack:
        base, _var = start_ours(stack, settings, 0)
        fetch(base + search_path("Lindenstraße 12"))
        by_query = search_latencies(base)
        idle = items_latencies(base, 8)
        loaded, load = under_search_load(base)
    everything = [v for values in by_query.values() for v in values]
    ratio = statistics.median(loaded) / statistics.median(idle)
    report += [
        "## Suche",
        "",
        f"Zwei öffentliche Layer mit je {N:,} Objekten sind durchsuchbar: `{ADDRESSES}` "
        f"(Adresspunkte) und `{PARCELS}` (Flurstücke), dazu die Demo-Layer. Ein BürgerGIS-Server "
        "wie `make run` (gunicorn, 2 Worker × 4 Threads). Gesucht wird im Suchindex "
        "`buergergis.search_entry` (pg_trgm-GIN und Präfix-B-Baum), nicht in den Layertabellen.",
        "",
        f"### `/search`, ein Client, {ROUNDS} Runden × {len(QUERIES)} Anfragen",
        "",
        f"Alle Anfragen: p50 **{statistics.median(everything):.1f} ms**, "
        f"p95 **{p95(everything):.1f} ms**, Maximum {max(everything):.1f} ms (Ziel: p95 < 50 ms).",
        "",
        "| Anfrage | p50 ms | p95 ms |",
        "|---|---:|---:|",
        *(f"| `{q}` | {statistics.median(v):.1f} | {p95(v):.1f} |" for q, v in by_query.items()),
        "",
        f"### Eine Objektabfrage, während {CONCURRENT} Verbindungen ohne Pause suchen",
        "",
        f"Objektabfrage: `{items_path()}` (ein Client, nacheinander). Suchlast: "
        f"`wrk -t2 -c{CONCURRENT}`, die Anfragen oben reihum.",
        "",
        "| | p50 ms | p95 ms | Anfragen |",
        "|---|---:|---:|---:|",
        f"| Objektabfrage allein | {statistics.median(idle):.1f} | {p95(idle):.1f} | {len(idle)} |",
        f"| Objektabfrage unter Suchlast | {statistics.median(loaded):.1f} | {p95(loaded):.1f} "
        f"| {len(loaded)} |",
        f"| Suchlast selbst (wrk: p50, p99) | {load.p50_ms:.1f} | p99 {load.p99_ms:.1f} "
        f"| {load.rps:,.0f}/s, {load.errors} Fehler |",
        "",
        f"Objektabfrage unter Suchlast / allein (Median): **{ratio:.2f}×** (Ziel ≤ 2×).",
        "",
    ]
    if loads:
        report += [
            "Laden inklusive Suchindex (dieser Lauf): "
            + ", ".join(f"`{k}` {v:.1f} s" for k, v in loads.items()),
            "",
        ]


def main() -> None:
    """Standalone: run only this section and keep it in ``docs/benchmarks.md``."""
    from bench.run import main as run_sections

    raise SystemExit(run_sections(("bench.search",)))


if __name__ == "__main__":
    main()
