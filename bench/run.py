"""``make bench``: every benchmark in one run, side by side; writes ``docs/benchmarks.md``.

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

from sqlalchemy import Engine

from buergergis.db.engine import make_engine
from buergergis.db.migrate import upgrade
from buergergis.settings import PROJECT_ROOT, Settings, load_settings

SECTIONS = ("bench.load", "bench.features", "bench.tiles", "bench.search")


@contextlib.contextmanager
def bench_context() -> Iterator[tuple[Settings, Engine]]:
    """Settings and engine for the benchmark database (the private cluster unless DATABASE_URL)."""
    settings = load_settings()
    if not settings.database_url:
        from buergergis.db.cluster import ensure_database

        ensure_database(settings)
    upgrade(settings)
    engine = make_engine(settings, application_name="buergergis-bench")
    try:
        yield settings, engine
    finally:
        engine.dispose()


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


FOOTER = """## Einordnung

* **Laden:** BürgerGIS prüft und repariert jede Geometrie, erkennt die Kodierung, legt
  Primärschlüssel, eindeutige Objekt-IDs, GiST-Index und Statistik an und schaltet atomar um;
  etwa 0,9 s der Wandzeit sind das Importieren der Python-Bibliotheken. `wal_level=minimal`
  im privaten Cluster und ein mit Arrow erzeugter CSV-COPY-Strom haben rund 1 s gespart; das
  Ziel „nicht langsamer als ogr2ogr“ ist noch nicht erreicht. Nächster Schritt: Lesen und
  COPY in Stapeln überlappen.
* **Features:** Auf diesem 2-Kern-Rechner sättigt das nackte SQL allein beide Kerne; jede
  Millisekunde außerhalb von PostgreSQL (gunicorn, Flask, App-weite Hooks) geht direkt vom
  Durchsatz ab – schon `/healthz` ohne Datenbank schafft nur gut 1.000 Anfragen/s. Deshalb
  wird „≥ 80 % des nackten SQL“ nicht erreicht; nächster Schritt wäre ein schneller Pfad vor
  Flask wie bei den gecachten Kacheln. `numberMatched` als Fensterfunktion im selben Scan ist
  schneller als eine zweite `count(*)`-Abfrage. Die Latenz bleibt bis 1.000.000 Objekte flach.
* **Gecachte Kacheln:** Eine nackte WSGI-Funktion, die nur eine Datei liefert, erreicht unter
  gunicorn hier rund 20 % von nginx; „≥ 50 % von nginx“ schafft nur ein Aufbau, in dem nginx
  oder ein CDN die Treffer selbst ausliefert (versionierte, unveränderliche Kachel-URLs, siehe
  docs/tiles.md).
* **Suche:** Die Suche liest nur den Suchindex `buergergis.search_entry`, der beim Laden,
  Ersetzen, Zurückrollen und Bearbeiten in derselben Transaktion wie das Umschalten neu
  geschrieben wird; jede Kandidatenstufe ist begrenzt, so dass auch Anfragen, die fast alles
  treffen („Hameln“), nur wenige hundert Einträge bewerten. Der Preis: Laden eines großen
  Layers dauert um das Schreiben seiner Sucheinträge länger.
"""


def splice(document: list[str], new: list[str]) -> list[str]:
    """``document`` with each ``## `` section of ``new`` replaced (or added before the footer)."""
    result = list(document)
    starts = [i for i, line in enumerate(new) if line.startswith("## ")] + [len(new)]
    for start, end in zip(starts, starts[1:], strict=False):
        block, heading = new[start:end], new[start]
        if heading in result:
            first = result.index(heading)
            last = next((i for i in range(first + 1, len(result)) if result[i].startswith("## ")),
                        len(result))  # fmt: skip
            result[first:last] = block
        else:
            footer = result.index("## Einordnung") if "## Einordnung" in result else len(result)
            result[footer:footer] = block
    return result


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
    document = PROJECT_ROOT / "docs" / "benchmarks.md"
    if sections == SECTIONS:
        report.append(FOOTER)
    elif document.exists():  # some sections only: replace just those in the last full run
        report = splice(document.read_text(encoding="utf-8").splitlines(), report[len(_header()) :])
    document.write_text("\n".join(report) + "\n", encoding="utf-8")
    print("\n".join(report))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(tuple(sys.argv[1:]) or SECTIONS))
