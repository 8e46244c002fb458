"""The private PostgreSQL/PostGIS cluster: a real throwaway cluster per test module, no mocks."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from buergergis.db import cluster
from buergergis.errors import ClusterError
from buergergis.settings import Settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _var_dir() -> Path:
    """A short path under /tmp the cluster's OS user can traverse (pytest's tmp_path is 0700)."""
    path = Path(tempfile.mkdtemp(prefix="bg-cluster-"))
    path.chmod(0o755)
    return path


def _system_identifier(settings: Settings) -> int:
    """Changes with every initdb, so equal identifiers mean the cluster was reused."""
    with psycopg.connect(settings.libpq_url()) as conn:
        row = conn.execute("SELECT system_identifier FROM pg_control_system()").fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture(scope="module")
def settings() -> Iterator[Settings]:
    var = _var_dir()
    settings = Settings(var_dir=var, pg_port=_free_port(), database_url=None)
    yield settings
    cluster.stop(settings)
    shutil.rmtree(var, ignore_errors=True)


@pytest.fixture
def running(settings: Settings) -> Settings:
    cluster.start(settings)
    return settings


def test_explicit_none_database_url_beats_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://elsewhere@db.example/x")
    assert Settings(database_url=None).database_url is None


def test_psql_args_use_the_socket_of_the_private_cluster(settings: Settings) -> None:
    args = cluster.psql_args(settings)
    assert Path(args[0]).name == "psql"
    assert args[1:] == [
        *("-h", str(settings.var / "pg" / "run"), "-p", str(settings.pg_port)),
        *("-U", settings.pg_user, "-d", settings.pg_database),
    ]


def test_redact_hides_the_password() -> None:
    assert cluster.redact("postgresql://u:geheim@h:5/d") == "postgresql://u:***@h:5/d"
    assert cluster.redact("postgresql://u@h/d") == "postgresql://u@h/d"


@pytest.mark.slow
def test_start_creates_cluster_database_and_postgis(running: Settings) -> None:
    pg = running.var / "pg"
    assert (pg / "data" / "PG_VERSION").read_text().strip() == "15"
    assert (pg / "password").stat().st_mode & 0o777 == 0o600
    assert (pg / "log" / "postgresql.log").stat().st_size > 0
    with psycopg.connect(running.libpq_url()) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == (running.pg_database,)
        version = conn.execute("SELECT postgis_version()").fetchone()
        settings_row = conn.execute(
            "SELECT current_setting('shared_buffers'), current_setting('jit'),"
            " current_setting('max_connections')"
        ).fetchone()
    assert version is not None and version[0].startswith("3.")
    assert settings_row == ("256MB", "off", "200")


@pytest.mark.slow
def test_second_start_reuses_the_cluster(running: Settings) -> None:
    before = _system_identifier(running)
    pid = cluster.status(running).pid
    cluster.start(running)
    assert cluster.status(running).pid == pid
    assert _system_identifier(running) == before


@pytest.mark.slow
def test_status_reports_the_running_cluster(running: Settings) -> None:
    state = cluster.status(running)
    assert state.initialized and state.running
    assert state.pid is not None and Path(f"/proc/{state.pid}").exists()
    assert state.port == running.pg_port
    assert state.socket_dir == running.pg_socket_dir
    assert state.url == running.libpq_url()


@pytest.mark.slow
def test_tcp_url_with_password_connects_and_wrong_password_fails(running: Settings) -> None:
    url = cluster.tcp_url(running)
    assert url.startswith(f"postgresql://{running.pg_user}:")
    assert f"@127.0.0.1:{running.pg_port}/{running.pg_database}" in url
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT postgis_version() IS NOT NULL").fetchone() == (True,)
    parts = urlsplit(url)
    wrong = parts._replace(netloc=f"{parts.username}:falsch@{parts.hostname}:{parts.port}")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(wrong.geturl())


@pytest.mark.slow
def test_start_after_postmaster_was_killed(running: Settings) -> None:
    before = _system_identifier(running)
    pid = cluster.status(running).pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    _wait_until(lambda: not cluster.status(running).running)
    assert (running.var / "pg" / "data" / "postmaster.pid").exists()  # stale, left by the crash
    state = cluster.start(running)
    assert state.running and state.pid != pid
    assert _system_identifier(running) == before


@pytest.mark.slow
@pytest.mark.parametrize("owner", ["gone", "someone-else"])
def test_start_removes_a_bogus_pid_file(running: Settings, owner: str) -> None:
    cluster.stop(running)
    with subprocess.Popen(["sleep", "60"]) as other:
        pid = other.pid if owner == "someone-else" else _pid_not_running()
        pidfile = running.var / "pg" / "data" / "postmaster.pid"
        pidfile.write_text(f"{pid}\n{running.var / 'pg' / 'data'}\n0\n{running.pg_port}\n")
        assert not cluster.status(running).running
        state = cluster.start(running)
        other.kill()
    assert state.running and state.pid != pid
    with psycopg.connect(running.libpq_url()) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.slow
def test_lost_password_file_gets_a_new_password(running: Settings) -> None:
    (running.var / "pg" / "password").unlink()
    cluster.start(running)
    with psycopg.connect(cluster.tcp_url(running)) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.slow
def test_stop_stops_and_is_idempotent(running: Settings) -> None:
    assert cluster.stop(running) is True
    state = cluster.status(running)
    assert state.initialized and not state.running and state.pid is None
    assert not (running.pg_socket_dir / f".s.PGSQL.{running.pg_port}").exists()
    assert cluster.stop(running) is False
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(running.libpq_url(), connect_timeout=2)


@pytest.mark.slow
def test_ensure_database_with_database_url_uses_no_private_cluster(running: Settings) -> None:
    var = _var_dir()
    try:
        external = Settings(var_dir=var, database_url=cluster.tcp_url(running))
        cluster.ensure_database(external)
        assert not (var / "pg").exists()
    finally:
        shutil.rmtree(var)


@pytest.mark.slow
def test_ensure_database_tolerates_a_role_that_may_not_create_postgis(running: Settings) -> None:
    with psycopg.connect(running.libpq_url(), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS ohne_postgis")
        conn.execute("DROP ROLE IF EXISTS leser")
        conn.execute("CREATE ROLE leser LOGIN PASSWORD 'lesen'")
        conn.execute("CREATE DATABASE ohne_postgis OWNER leser")
    base = f"postgresql://leser:lesen@127.0.0.1:{running.pg_port}"
    cluster.ensure_database(Settings(database_url=f"{base}/{running.pg_database}"))
    with pytest.raises(ClusterError, match="PostGIS fehlt in"):
        cluster.ensure_database(Settings(database_url=f"{base}/ohne_postgis"))


def test_ensure_database_reports_an_unreachable_database_url() -> None:
    url = f"postgresql://u:geheim@127.0.0.1:{_free_port()}/db"
    with pytest.raises(ClusterError, match="nicht erreichbar") as info:
        cluster.ensure_database(Settings(database_url=url))
    assert "geheim" not in info.value.description


def _pid_not_running() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _wait_until(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "Bedingung nicht erreicht"
        time.sleep(0.05)
