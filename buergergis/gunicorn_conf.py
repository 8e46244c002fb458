"""gunicorn settings shared by ``make run``, ``make cluster`` and the systemd unit.

``gunicorn -c python:buergergis.gunicorn_conf …``: metrics in multiprocess mode (one
directory of value files per server, emptied at start, dead workers forgotten).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any


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
