"""Load benchmark: ``buergergis import`` vs GDAL's ``ogr2ogr -f PostgreSQL`` (COPY mode).

Same source files (200,000 and 2,000,000 polygons around Hameln, FlatGeobuf in EPSG:25832),
same database, same run. Reports wall time and peak memory of each, at both sizes. Run standalone:
``python -m bench.load`` (both sizes) or ``python -m bench.load --size 200000 --rounds 5`` (one
size, for A/B comparisons; prints the section, never writes docs/benchmarks.md).
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from bench import targets
from bench.data import make_polygons
from bench.measure import Measured, run_measured
from buergergis.settings import Settings

#: (polygons, alternating rounds): the target size, and ten times as much for flat memory.
SIZES = ((200_000, 3), (2_000_000, 1))
#: "Flat": the peak at the large size is at most this multiple of the peak at the small size.
FLAT = 1.15
OURS, THEIRS = "BürgerGIS `import`", "ogr2ogr (COPY)"


def _pg_conninfo(settings: Settings) -> str:
    url = make_url(settings.sqlalchemy_url())
    parts = [f"dbname={url.database}", f"user={url.username}"]
    host = url.query.get("host") or url.host
    if host:
        parts.append(f"host={host}")
    port = url.query.get("port") or url.port
    if port:
        parts.append(f"port={port}")
    if url.password:
        parts.append(f"password={url.password}")
    return "PG:" + " ".join(str(p) for p in parts)


def _ours(settings: Settings, source: Path) -> Measured:
    env = {
        **os.environ,
        "DATABASE_URL": settings.libpq_url(),
        "BUERGERGIS_VAR_DIR": str(settings.var),
    }
    cli = str(Path(sys.executable).with_name("buergergis"))
    return run_measured([cli, "import", str(source), "--id", "bench-load"], env)


def _ogr2ogr(settings: Settings, source: Path) -> Measured:
    cmd = [
        "ogr2ogr",
        "-f",
        "PostgreSQL",
        _pg_conninfo(settings),
        str(source),
        "-nln",
        "public.bench_ogr2ogr",
        "-overwrite",
        "-lco",
        "SPATIAL_INDEX=GIST",
        "-lco",
        "GEOMETRY_NAME=geom",
        "-nlt",
        "PROMOTE_TO_MULTI",
        "-gt",
        "65536",
        "--config",
        "PG_USE_COPY",
        "YES",
    ]
    return run_measured(cmd)


#: What every ``buergergis import`` pays before it reads a feature: Python with the modules of
#: the import path (pyogrio loads pandas and geopandas itself; pyarrow, GDAL, PROJ, SQLAlchemy).
STARTUP_PROBE = (
    "import pyogrio, pyarrow, geopandas, shapely, pyproj, sqlalchemy, psycopg;"
    " import buergergis.ingest.pipeline, buergergis.ingest.commands"
)


def _startup() -> Measured:
    """Wall time and peak memory of starting Python with the import path's modules only."""
    return run_measured([sys.executable, "-c", STARTUP_PROBE])


def _rounds(settings: Settings, source: Path, rounds: int) -> dict[str, list[Measured]]:
    """``rounds`` alternating runs of both tools on ``source``."""
    results: dict[str, list[Measured]] = {OURS: [], THEIRS: []}
    for _ in range(rounds):
        results[OURS].append(_ours(settings, source))
        results[THEIRS].append(_ogr2ogr(settings, source))
    return results


def _median(runs: list[Measured]) -> float:
    return statistics.median(r.seconds for r in runs)


def run(
    report: list[str],
    settings: Settings,
    engine: Engine,
    sizes: tuple[tuple[int, int], ...] = SIZES,
) -> None:
    """Append the load benchmark section to ``report`` (``sizes``: (polygons, rounds) pairs)."""
    if not shutil.which("ogr2ogr"):
        raise RuntimeError("ogr2ogr fehlt (Debian-Paket gdal-bin)")
    measured: dict[int, dict[str, list[Measured]]] = {}
    counts: dict[int, tuple[int, int]] = {}
    for n, rounds in sizes:
        source = make_polygons(settings.var / "bench" / f"polygons_{n}.fgb", n)
        measured[n] = _rounds(settings, source, rounds)
        with engine.connect() as conn:
            ours = conn.execute(text('SELECT count(*) FROM layers."bench-load"')).scalar_one()
            theirs = conn.execute(text("SELECT count(*) FROM public.bench_ogr2ogr")).scalar_one()
        counts[n] = (int(ours), int(theirs))
        source.unlink(missing_ok=True)
    report += [
        "## Laden: `buergergis import` vs. `ogr2ogr`",
        "",
        "Quelle: Polygone um Hameln (FlatGeobuf, EPSG:25832), gleiche Datenbank, beide Werkzeuge",
        "abwechselnd im selben Lauf; Wandzeit als Median (min–max), Spitzenspeicher als Maximum.",
        "BürgerGIS liest die Quelle in Stapeln (pyogrio `open_arrow`), prüft und repariert jede",
        "Geometrie, erkennt die Kodierung und schreibt jeden Stapel per COPY, während es weiterliest;",
        "danach Eindeutigkeit der IDs, Primärschlüssel, GiST-Index und ANALYZE und die atomare",
        "Umschaltung in derselben Transaktion. ogr2ogr schreibt Tabelle und GiST-Index.",
        "",
        "| Polygone | Läufe | Werkzeug | Wandzeit (s) | min–max (s) | Spitzenspeicher (MiB) | Geladen | Exit |",
        "|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for n, rounds in sizes:
        for i, (name, runs) in enumerate(measured[n].items()):
            wall = _median(runs)
            low, high = min(r.seconds for r in runs), max(r.seconds for r in runs)
            peak = max(r.peak_mib for r in runs)
            code = max(r.returncode for r in runs)
            report.append(
                f"| {n:,} | {rounds} | {name} | {wall:.2f} | {low:.2f}–{high:.2f} | {peak:.0f} "
                f"| {counts[n][i]:,} | {code} |"
            )
    small, large = sizes[0][0], sizes[-1][0]
    ratio = targets.ratio(_median(measured[small][OURS]), _median(measured[small][THEIRS]))
    ratio_large = targets.ratio(_median(measured[large][OURS]), _median(measured[large][THEIRS]))
    peak = max(r.peak_mib for r in measured[small][OURS])
    peak_large = max(r.peak_mib for r in measured[large][OURS])
    growth = targets.ratio(peak_large, peak)
    if small == large:  # one size (standalone A/B run)
        summary = (
            f"Verhältnis Wandzeit BürgerGIS / ogr2ogr: **{ratio:.2f}** bei {small:,} Polygonen "
            f"(Ziel ≤ 1,0). Spitzenspeicher {peak:.0f} MiB (Ziel ≤ 200 MiB)."
        )
    else:
        summary = (
            f"Verhältnis Wandzeit BürgerGIS / ogr2ogr: **{ratio:.2f}** bei {small:,}, "
            f"{ratio_large:.2f} bei {large:,} Polygonen (Ziel ≤ 1,0). Spitzenspeicher "
            f"{peak:.0f} MiB bei {small:,} und {peak_large:.0f} MiB bei {large:,} Polygonen "
            f"(Ziel ≤ 200 MiB und flach: bei {large:,} höchstens {FLAT:.2f}× der Spitze bei "
            f"{small:,})."
        )
    report += ["", summary, ""]
    start = min((_startup() for _ in range(3)), key=lambda m: m.seconds)
    ogr_small = measured[small][THEIRS]
    report += [
        f"Davon fest, bevor ein Objekt gelesen ist: Python mit den Modulen des Importpfads "
        f"(`python -c '{STARTUP_PROBE}'`, schnellster von 3 Starts) {start.seconds:.2f} s und "
        f"{start.peak_mib:.0f} MiB.",
        "",
    ]
    targets.check(
        "Laden", "Wandzeit ≤ 1,0× ogr2ogr", f"{ratio:.2f}×", ratio <= 1.0,
        f"{_median(measured[small][OURS]):.2f} gegen {_median(ogr_small):.2f} s; allein der Start "
        f"mit den Bibliotheken des Importpfads kostet {start.seconds:.2f} s (gemessen), danach "
        "prüft und repariert BürgerGIS jede Geometrie in Python (shapely) und baut Eindeutigkeit, "
        "Primärschlüssel, GiST-Index, ANALYZE und Suchindex in der Ladetransaktion.",
    )  # fmt: skip
    targets.check(
        "Laden", "Spitzenspeicher ≤ 200 MiB (200.000 Polygone)", f"{peak:.0f} MiB", peak <= 200,
        f"davon {start.peak_mib:.0f} MiB schon nach dem Start mit den Bibliotheken (pandas, "
        "geopandas, pyarrow, GDAL, PROJ, SQLAlchemy; pyogrio lädt pandas und geopandas selbst); "
        f"ogr2ogr: {max(r.peak_mib for r in ogr_small):.0f} MiB insgesamt.",
    )  # fmt: skip
    if small == large:  # nothing to say about flatness
        return
    targets.check(
        "Laden",
        f"Speicher flach von {small:,} bis {large:,} Polygonen (≤ {FLAT:.2f}×)".replace(",", "."),
        f"{peak:.0f} → {peak_large:.0f} MiB ({growth:.2f}×)",
        peak_large <= FLAT * peak,
    )


def _main() -> None:
    import argparse

    from bench.run import bench_context

    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--size", type=int, action="append", help="Polygone (mehrfach möglich)")
    parser.add_argument("--rounds", type=int, default=None, help="Runden je Größe")
    args = parser.parse_args()
    sizes = tuple(
        (n, args.rounds or dict(SIZES).get(n, 3)) for n in (args.size or [n for n, _ in SIZES])
    )
    with bench_context() as (settings, engine):
        lines: list[str] = []
        run(lines, settings, engine, sizes)
        print("\n".join(lines))


if __name__ == "__main__":
    _main()
