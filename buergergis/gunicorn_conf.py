"""gunicorn settings shared by ``make run``, ``make cluster`` and the systemd unit.

``gunicorn -c python:buergergis.gunicorn_conf …``: threads per worker, and metrics in
multiprocess mode (one directory of value files per server, emptied at start, dead workers
forgotten). Flags on the command line win over these values.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

#: Threads per worker (gthread). Requests that wait — for a search slot (``web/gate.py``), an
#: external WMS — hold a thread but no CPU; 12 leave threads for the map while up to
#: ``BUERGERGIS_SEARCH_QUEUE`` searches wait. The SQLAlchemy pool (8 + 8 overflow) covers them.
threads = 12


def on_starting(server: Any) -> None:
    """Before the workers fork: a fresh multiprocess directory for this server."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        var = Path(os.environ.get("BUERGERGIS_VAR_DIR") or Path.cwd() / "var")
        directory = str(var / "metrics" / str(os.getpid()))
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    shutil.rmtree(directory, ignore_errors=True)
    Path(directory).mkdir(parents=True, exist_ok=True)


def on_exit(server: Any) -> None:
    """Remove this server's value files."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)


def child_exit(server: Any, worker: Any) -> None:
    """A worker ended: its live gauges no longer count."""
    from buergergis.metrics import worker_exit

    worker_exit(worker.pid)
