"""Real servers for tests that need them: a private PostgreSQL cluster of a test's own, and the
app under gunicorn as ``make run`` starts it.

A cluster of its own lets a test stop or replace the database without disturbing any other
test. It lives under the project's ``var/`` (the cluster's OS user cannot traverse
``/tmp/pytest-of-root``) and is removed afterwards.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from buergergis.db import cluster
from buergergis.db.engine import make_engine
from buergergis.db.migrate import upgrade
from buergergis.settings import PROJECT_ROOT, Settings, load_settings


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def own_cluster(
    name: str, root: Path, layers: Iterable[str] = (), *, migrate: bool = True
) -> Iterator[Settings]:
    """A started private cluster under ``var/test-<name>-*``; migrated and with ``layers`` of
    the definitions under ``root`` loaded; stopped and removed afterwards."""
    from buergergis.catalog.parse import load_definitions
    from buergergis.ingest.pipeline import load_layer

    var = PROJECT_ROOT / "var" / f"test-{name}-{secrets.token_hex(4)}"
    var.mkdir(parents=True)
    settings = load_settings(var_dir=var, pg_port=free_port(), root=root, secret_key=name)
    cluster.start(settings)
    try:
        if migrate:
            upgrade(settings)
        wanted = set(layers)
        if wanted:
            engine = make_engine(settings)
            for definition in load_definitions(settings.layers_path, settings.root):
                if definition.id in wanted:
                    load_layer(engine, settings, definition)
            engine.dispose()
        yield settings
    finally:
        cluster.stop(settings)
        shutil.rmtree(var, ignore_errors=True)


def wait_for(url: str, tries: int = 150) -> bool:
    """Poll ``url`` until it answers 200."""
    for _ in range(tries):
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.1)
    return False


@contextlib.contextmanager
def gunicorn(
    env: Mapping[str, str],
    *,
    workers: int = 2,
    threads: int = 4,
    log: Path | None = None,
    config: bool = True,
) -> Iterator[str]:
    """The app under gunicorn (gthread, like ``make run``); yields its base URL.

    ``env`` is added to this process's environment (``DATABASE_URL`` is dropped unless given).
    """
    port = free_port()
    full = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "PROMETHEUS_MULTIPROC_DIR"}
    }
    full.update(env)
    argv = [str(Path(sys.executable).with_name("gunicorn"))]
    if config:
        argv += ["-c", "python:buergergis.gunicorn_conf"]
    argv += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers),
             "--worker-class", "gthread", "--threads", str(threads), "--timeout", "60",
             "buergergis:create_app()"]  # fmt: skip
    out = log.open("w") if log else subprocess.DEVNULL
    try:
        proc = subprocess.Popen(argv, env=full, stdout=out, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            assert wait_for(url + "/healthz"), "gunicorn did not come up"
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    finally:
        if log:
            out.close()  # type: ignore[union-attr]


def primary_outage(
    settings: Settings, phase: list[str], recovered: Callable[[], bool], *, down_s: float = 3.0
) -> None:
    """Stop and restart the primary while load threads record statuses under ``phase[0]``.

    Phases: ``before`` (1 s) → ``stopping`` → ``down`` (``down_s``) → ``starting`` → ``after``
    (2 s, once ``recovered()`` holds; it must within 20 s of the restart).
    """
    time.sleep(1.0)
    phase[0] = "stopping"
    cluster.stop(settings)
    phase[0] = "down"
    time.sleep(down_s)
    phase[0] = "starting"
    cluster.start(settings)
    deadline = time.monotonic() + 20
    while not recovered():
        assert time.monotonic() < deadline, "no recovery after the primary came back"
        time.sleep(0.2)
    phase[0] = "after"
    time.sleep(2.0)
