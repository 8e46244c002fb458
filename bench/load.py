"""Load benchmark: ``buergergis import`` vs GDAL's ``ogr2ogr -f PostgreSQL`` (COPY mode).

Same source file (≥ 200,000 polygons around Hameln, FlatGeobuf in EPSG:25832), same database,
same run. Reports wall time and peak memory of each. Run standalone: ``python -m bench.load``.
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

N_POLYGONS = 200_000
ROUNDS = 3


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


def run(report: list[str], settings: Settings, engine: Engine) -> None:
    """Append the load benchmark section to ``report``."""
    if not shutil.which("ogr2ogr"):
        raise RuntimeError("ogr2ogr fehlt (Debian-Paket gdal-bin)")
    source = make_polygons(settings.var / "bench" / f"polygons_{N_POLYGONS}.fgb", N_POLYGONS)
    results: dict[str, list[Measured]] = {"BürgerGIS `import`": [], "ogr2ogr (COPY)": []}
    for _ in range(ROUNDS):
        results["BürgerGIS `import`"].append(_ours(settings, source))
        results["ogr2ogr (COPY)"].append(_ogr2ogr(settings, source))
    with engine.connect() as conn:
        ours = conn.execute(text('SELECT count(*) FROM layers."bench-load"')).scalar_one()
        theirs = conn.execute(text("SELECT count(*) FROM public.bench_ogr2ogr")).scalar_one()
    report += [
        "## Laden: `buergergis import` vs. `ogr2ogr`",
        "",
        f"Quelle: {N_POLYGONS:,} Polygone um Hameln (FlatGeobuf, EPSG:25832), gleiche Datenbank, "
        f"je {ROUNDS} Läufe abwechselnd, Median. Geladen: BürgerGIS {ours:,}, ogr2ogr {theirs:,} Objekte.",
        "BürgerGIS prüft und repariert dabei jede Geometrie, erkennt die Kodierung, schreibt eine neue",
        "Versionstabelle mit Primärschlüssel, Eindeutigkeit der IDs, GiST-Index und ANALYZE und schaltet",
        "atomar um; ogr2ogr schreibt Tabelle und GiST-Index.",
        "",
        "| Werkzeug | Wandzeit (s) | Spitzenspeicher (MiB) | Exit |",
        "|---|---:|---:|---:|",
    ]
    for name, runs in results.items():
        wall = statistics.median(r.seconds for r in runs)
        peak = max(r.peak_mib for r in runs)
        report.append(f"| {name} | {wall:.2f} | {peak:.0f} | {max(r.returncode for r in runs)} |")
    ratio = statistics.median(r.seconds for r in results["BürgerGIS `import`"]) / statistics.median(
        r.seconds for r in results["ogr2ogr (COPY)"]
    )
    peak = max(r.peak_mib for r in results["BürgerGIS `import`"])
    report += [
        "",
        f"Verhältnis Wandzeit BürgerGIS / ogr2ogr: **{ratio:.2f}** (Ziel ≤ 1,0; Spitzenspeicher ≤ 200 MiB).",
        "",
    ]
    targets.check("Laden", "Wandzeit ≤ 1,0× ogr2ogr", f"{ratio:.2f}×", ratio <= 1.0)
    targets.check(
        "Laden", "Spitzenspeicher ≤ 200 MiB (200.000 Polygone)", f"{peak:.0f} MiB", peak <= 200
    )


if __name__ == "__main__":
    from bench.run import bench_context

    with bench_context() as (settings, engine):
        lines: list[str] = []
        run(lines, settings, engine)
        print("\n".join(lines))
