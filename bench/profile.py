"""Where a BürgerGIS request spends its CPU: py-spy samples the server's workers under load.

``py-spy record --subprocesses`` samples every gunicorn worker of the server listening on a
port while ``wrk`` sends the benchmark request. Each sample (a Python stack) is given to the
innermost frame that belongs to a known part — the PostgreSQL driver, JSON, compression,
Flask/Werkzeug, gunicorn, SQLAlchemy, BürgerGIS itself — so the table says which part of the
process costs what. Only samples of threads that hold the GIL count (``--gil``): Python at
work, not a thread waiting for PostgreSQL, a socket or a queue — the SQL floor (pgbench) in
the same section shows the database's part. py-spy names files relative to site-packages or
the project (``flask/app.py``), so the patterns match at a path boundary.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

#: Parts of the process, matched against the file of a frame (first match wins, innermost
#: frame first). The order matters: json inside buergergis counts as JSON.
PARTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("PostgreSQL-Treiber (psycopg)", re.compile(r"(?:^|/)psycopg")),
    ("JSON/GeoJSON kodieren", re.compile(r"(?:^|/)(?:json|orjson|simplejson)/")),
    ("Komprimieren (gzip/brotli)", re.compile(r"(?:^|/)(?:gzip|zlib|brotli|flask_compress)")),
    ("SQLAlchemy", re.compile(r"(?:^|/)sqlalchemy/")),
    ("Flask/Werkzeug", re.compile(r"(?:^|/)(?:flask|werkzeug|flask_[a-z]+)/")),
    ("gunicorn (HTTP, Sockets)", re.compile(r"(?:^|/)gunicorn/")),
    ("BürgerGIS", re.compile(r"(?:^|/)buergergis/")),
)
OTHER = "Übrige Python-Bibliothek"
_FRAME = re.compile(r"\((?P<file>[^():]+)(?::\d+)?\)$")


def listening_pids(port: int) -> list[int]:
    """Processes that hold the listening socket of ``port`` (gunicorn master and workers)."""
    out = subprocess.run(
        ["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True, check=True
    ).stdout
    return sorted({int(pid) for pid in re.findall(r"pid=(\d+)", out)})


def part_of(stack: str) -> str:
    """The part a collapsed stack (``func (file:line);…``, outermost first) belongs to."""
    for frame in reversed(stack.split(";")):
        match = _FRAME.search(frame)
        if not match:
            continue
        for name, pattern in PARTS:
            if pattern.search(match["file"]):
                return name
    return OTHER


def breakdown(raw: str) -> Counter[str]:
    """Samples per part from py-spy's raw (collapsed) output."""
    parts: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            parts[part_of(stack)] += int(count)
    return parts


def profile(port: int, load: Callable[[], object], seconds: int) -> Counter[str]:
    """Samples per part of the server on ``port`` while ``load()`` runs (about ``seconds``)."""
    pids = listening_pids(port)
    if not pids:
        raise RuntimeError(f"Kein Server lauscht auf Port {port}.")
    spy = Path(sys.executable).with_name("py-spy")  # pinned in the dev extras
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "raw.txt"
        cmd = [
            str(spy),
            "record",
            "--pid",
            str(min(pids)),
            "--subprocesses",
            "--format",
            "raw",
            "--gil",
        ]
        cmd += ["--rate", "250", "--duration", str(seconds), "--nonblocking", "-o", str(out)]
        worker = threading.Thread(target=load)
        recorder = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        worker.start()
        _, err = recorder.communicate(timeout=seconds + 60)
        worker.join()
        if recorder.returncode != 0 or not out.exists():
            raise RuntimeError(f"py-spy: {err.decode(errors='replace')[-500:]}")
        return breakdown(out.read_text(encoding="utf-8", errors="replace"))


def table(parts: Counter[str]) -> list[str]:
    """Markdown rows: part, share of the CPU samples."""
    total = sum(parts.values()) or 1
    rows = ["| Teil des Prozesses | Anteil der Python-Rechenzeit |", "|---|---:|"]
    rows += [f"| {name} | {count / total:.0%} |" for name, count in parts.most_common()]
    rows.append(f"| (Stichproben) | {total:,} |")
    return rows
