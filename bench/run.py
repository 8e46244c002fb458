"""``make bench``: every benchmark in one run, side by side; writes ``docs/benchmarks.md``.

Only a full run writes the document (``python -m bench.run bench.tiles`` writes
``bench/results/bench.tiles.md``), so the document always shows one run; its closing
"Einordnung" lists every target with what that run measured (``bench/targets.py``).

Each section is a module with ``run(report, settings, engine)``. A section that fails is
reported as failed in the document (and makes the run exit non-zero), never silently left out.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import os
import platform
import sys
import traceback
from collections.abc import Iterator

import psycopg
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from bench import targets
from bench.targets import summary
from buergergis.db.engine import make_engine
from buergergis.db.migrate import upgrade
from buergergis.settings import PROJECT_ROOT, Settings, load_settings

SECTIONS = (
    "bench.load",
    "bench.features",
    "bench.paging",
    "bench.tiles",
    "bench.wms",
    "bench.search",
    "bench.cluster",
)


@contextlib.contextmanager
def bench_context() -> Iterator[tuple[Settings, Engine]]:
    """Settings and engine of a benchmark database of its own, dropped at the end.

    The benchmark never touches the city's database: it creates ``buergergis_bench_<pid>`` on
    the same server (the private cluster unless ``DATABASE_URL``), with its own ``var/``, and
    drops it again even when a section fails midway.
    """
    from buergergis.db.cluster import tcp_url

    base = load_settings()
    if not base.database_url:
        from buergergis.db.cluster import ensure_database

        ensure_database(base)
    server = make_url(tcp_url(base))
    name = f"buergergis_bench_{os.getpid()}"
    admin = server.render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = server.set(database=name).render_as_string(hide_password=False)
    settings = load_settings(database_url=url, var_dir=base.var / "bench-var")
    engine = None
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        upgrade(settings)
        engine = make_engine(settings, application_name="buergergis-bench")
        yield settings, engine
    finally:
        if engine is not None:
            engine.dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _header() -> list[str]:
    cpu = platform.processor() or platform.machine()
    return [
        "# Benchmarks",
        "",
        f"Erzeugt von `make bench` am {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC auf {os.cpu_count()} Kernen "
        f"({cpu}, {platform.system()} {platform.release()}), Python {platform.python_version()}.",
        "Alle Dienste laufen auf demselben Rechner gegen dieselbe PostgreSQL/PostGIS-Datenbank;",
        "Lastgenerator `wrk` bzw. `pgbench` auf demselben Rechner (Loopback). Die Zahlen schwanken",
        "zwischen Läufen um einige Prozent; Tests enthalten bewusst keine Zeit-Zusicherungen.",
        "",
    ]


def main(sections: tuple[str, ...] = SECTIONS) -> int:
    """Run the sections, write the document, return an exit code."""
    report = _header()
    failed = []
    with bench_context() as (settings, engine):
        for name in sections:
            try:
                importlib.import_module(name).run(report, settings, engine)
            except Exception as exc:  # a failed section is reported, not hidden
                traceback.print_exc()
                failed.append(name)
                report += [f"## {name}: FEHLGESCHLAGEN", "", f"`{type(exc).__name__}: {exc}`", ""]
    report += summary(targets.RECORDED)
    if sections == SECTIONS:  # only a full run writes the document: it holds one run only
        document = PROJECT_ROOT / "docs" / "benchmarks.md"
    else:
        document = PROJECT_ROOT / "bench" / "results" / ("-".join(sections) + ".md")
        document.parent.mkdir(parents=True, exist_ok=True)
    document.write_text("\n".join(report) + "\n", encoding="utf-8")
    print("\n".join(report))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(tuple(sys.argv[1:]) or SECTIONS))
