"""Search benchmark (section of ``make bench``; standalone: ``python -m bench.search``).

Two public layers of 200,000 features each are searchable: address points
(``bench-search-adressen``: 708 street names × 5 districts × house numbers) and parcels
(``bench-search-flurstuecke``: the polygons of ``bench/data.py``, searched by parcel name and
land use). One BürgerGIS server as in ``make run`` (gunicorn, 2 workers × 12 threads).

1. ``/search`` latency, one client, keep-alive: a mix of address spellings, names, a typo and
   two queries that match a large part of the data ("Hameln", "Wohnen"); p50/p95 overall and
   per query.
2. An items request (1 km² bbox on the parcels, ``limit=100``) measured alone, then sent
   5 ms after ten searches that start at the same moment (60 such bursts).
"""

from __future__ import annotations

import contextlib
import http.client
import statistics
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import geopandas as gpd
import numpy as np
from sqlalchemy import Engine

from bench import targets
from bench.data import HAMELN_CENTRE, make_polygons
from bench.features import bbox_param
from bench.tiles import start_ours
from bench.tiles_tools import THREADS, WORKERS, fetch
from buergergis.catalog.models import Attribute, Source, Style, VectorLayer
from buergergis.ingest.pipeline import load_layer
from buergergis.settings import Settings
from buergergis.store.catalog import get_layer

N = 200_000
ADDRESSES, PARCELS = "bench-search-adressen", "bench-search-flurstuecke"
ROUNDS = 25
CONCURRENT = 10
BURSTS = 60
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

    def get(self, path: str, refusable: bool = False) -> float | None:
        """Latency of one GET; ``None`` for a 503 of the search gate if ``refusable``."""
        started = time.perf_counter()
        self.conn.request("GET", path)
        response = self.conn.getresponse()
        response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if refusable and response.status == 503:
            return None
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status}")
        return elapsed

    def ms(self, path: str) -> float:
        """Latency of one GET that must answer 200."""
        elapsed = self.get(path)
        assert elapsed is not None
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
        client.ms(search_path(q))
    result: dict[str, list[float]] = {q: [] for q in QUERIES}
    for _ in range(ROUNDS):
        for q in QUERIES:
            result[q].append(client.ms(search_path(q)))
    return result


def bursts(base: str) -> tuple[list[float], list[float], list[float], list[str]]:
    """``BURSTS`` times: one items request alone, then ``CONCURRENT`` searches sent at the same
    moment and, a few milliseconds later, the items request again. Alternating keeps both
    under the same background load. Returns items alone, items during searches, searches,
    and the searches the gate refused (503: more waiting in one process than it admits)."""
    searchers = [Client(base) for _ in range(CONCURRENT)]
    reader = Client(base)
    reader.ms(items_path())
    idle: list[float] = []
    items: list[float] = []
    searches: list[float] = []
    refused: list[str] = []
    lock = threading.Lock()

    def search_once(client: Client, q: str, start: threading.Barrier) -> None:
        start.wait()
        elapsed = client.get(search_path(q), refusable=True)
        with lock:
            if elapsed is None:
                refused.append(q)
            else:
                searches.append(elapsed)

    for n in range(BURSTS):
        idle.append(reader.ms(items_path()))  # alone, right before: same background load
        time.sleep(0.05)
        start = threading.Barrier(CONCURRENT + 1)
        threads = [
            threading.Thread(target=search_once, args=(c, QUERIES[(n + i) % len(QUERIES)], start))
            for i, c in enumerate(searchers)
        ]
        for t in threads:
            t.start()
        start.wait()
        time.sleep(0.005)  # the searches are in the server
        items.append(reader.ms(items_path()))
        for t in threads:
            t.join()
        time.sleep(0.1)
    return idle, items, searches, refused


def index_build_seconds(engine: Engine, layer_id: str) -> float:
    """Rebuild one layer's search entries as a load does, in a transaction that is rolled back."""
    from sqlalchemy import text

    from buergergis.store import search_index

    with engine.connect() as conn, conn.begin() as tx:
        conn.execute(text("SET LOCAL statement_timeout = 0"))
        record = get_layer(conn, layer_id, include_private=True)
        assert record is not None
        for part, _signature in search_index._old_parts(conn, layer_id):
            conn.execute(text(f"ALTER TABLE buergergis.search_entry DETACH PARTITION {part}"))
        started = time.perf_counter()  # now refresh builds the part as a load does
        search_index.refresh(conn, record.definition, record.version, record.data_table)
        seconds = time.perf_counter() - started
        tx.rollback()
    return seconds


def run(report: list[str], settings: Settings, engine: Engine) -> None:
    """Run both measurements and append the Markdown section."""
    loads = ensure_layers(settings, engine)
    rebuild = {layer: index_build_seconds(engine, layer) for layer in (ADDRESSES, PARCELS)}
    with contextlib.ExitStack() as stack:
        base, _var = start_ours(stack, settings, 0)
        fetch(base + search_path("Lindenstraße 12"))
        by_query = search_latencies(base)
        idle, loaded, during, refused = bursts(base)
    everything = [v for values in by_query.values() for v in values]
    ratio = statistics.median(loaded) / statistics.median(idle)
    slowest = sorted(by_query, key=lambda q: p95(by_query[q]), reverse=True)[:2]
    targets.check("Suche", "p95 einer Suche < 50 ms (2 × 200.000 Objekte)",
                  f"{p95(everything):.1f} ms", p95(everything) < 50,
                  "am langsamsten: " + ", ".join(
                      f"`{q}` p95 {p95(by_query[q]):.1f} ms" for q in slowest))  # fmt: skip
    targets.check("Suche", f"Objektabfrage während {CONCURRENT} Suchen ≤ 2× allein (Median)",
                  f"{ratio:.2f}×", ratio <= 2,
                  f"Objektabfrage p50 {statistics.median(idle):.1f} ms allein, "
                  f"{statistics.median(loaded):.1f} ms neben den Suchen (je Suche p50 "
                  f"{statistics.median(during):.1f} ms, {len(refused)} abgewiesen)")  # fmt: skip
    report += [
        "## Suche",
        "",
        f"Zwei öffentliche Layer mit je {N:,} Objekten sind durchsuchbar: `{ADDRESSES}` "
        f"(Adresspunkte) und `{PARCELS}` (Flurstücke), dazu die Demo-Layer. Ein BürgerGIS-Server "
        f"wie `make run` (gunicorn, {WORKERS} Worker × {THREADS} Threads). Gesucht wird im Suchindex "
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
        f"### Eine Objektabfrage während {CONCURRENT} gleichzeitiger Suchen",
        "",
        f"{BURSTS}-mal: {CONCURRENT} Suchen (die Anfragen oben reihum, je eine eigene "
        "Keep-alive-Verbindung) gehen im selben Augenblick ab, 5 ms später die Objektabfrage "
        f"`{items_path()}`. Vor jeder dieser Runden dieselbe Objektabfrage allein (50 ms "
        "Abstand), so dass beide Messreihen dieselbe Grundlast des Rechners sehen.",
        "",
        "| | p50 ms | p95 ms | Anfragen |",
        "|---|---:|---:|---:|",
        f"| Objektabfrage allein | {statistics.median(idle):.1f} | {p95(idle):.1f} | {len(idle)} |",
        f"| Objektabfrage während {CONCURRENT} Suchen | {statistics.median(loaded):.1f} "
        f"| {p95(loaded):.1f} | {len(loaded)} |",
        f"| die gleichzeitigen Suchen selbst | {statistics.median(during):.1f} "
        f"| {p95(during):.1f} | {len(during)} |",
        "",
        f"Von der Suchsperre abgewiesen (503, mehr als `BUERGERGIS_SEARCH_QUEUE` Suchen in einem "
        f"Prozess): {len(refused)} von {CONCURRENT * BURSTS}.",
        "",
        f"Objektabfrage während der Suchen / allein (Median): **{ratio:.2f}×**, p95: "
        f"**{p95(loaded) / p95(idle):.2f}×** (Ziel ≤ 2×).",
        "",
    ]
    report += [
        "Suchindex eines Layers neu bauen, wie es jedes Laden in seiner Transaktion tut "
        "(eigene Partition füllen, indizieren, einhängen): "
        + ", ".join(f"`{k}` {v:.1f} s" for k, v in rebuild.items())
        + ".",
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
