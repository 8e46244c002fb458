"""A streaming-replication hot standby of the private cluster, for ``make cluster`` and tests.

Layout beside the primary: ``var/pg-replica/data`` (made by ``pg_basebackup -R``),
``var/pg-replica/run`` (socket) and ``var/pg-replica/log/postgresql.log``; its own port
(default: the primary's + 1). The primary needs ``wal_level = replica`` for this; the private
cluster runs with ``minimal`` (faster loads), so :func:`enable_replication` sets it with
``ALTER SYSTEM`` and restarts the primary once, and :func:`disable_replication` resets it for
the next start. Because WAL written under ``minimal`` cannot be replayed, the standby is made
afresh by every :func:`create` (seconds for a city's data).
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from buergergis.db import cluster
from buergergis.errors import ClusterError
from buergergis.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Standby:
    """Where the standby lives and listens."""

    root: Path
    port: int

    @classmethod
    def of(cls, settings: Settings, port: int | None = None) -> Standby:
        """The standby of ``settings``' private cluster (port default: primary's + 1)."""
        return cls(settings.var / "pg-replica", port or settings.pg_port + 1)

    @property
    def data(self) -> Path:
        """PGDATA of the standby."""
        return self.root / "data"

    @property
    def run(self) -> Path:
        """Its unix socket directory."""
        return self.root / "run"

    @property
    def logfile(self) -> Path:
        """Its server log."""
        return self.root / "log" / "postgresql.log"

    def url(self, settings: Settings) -> str:
        """libpq URL over the unix socket (what ``BUERGERGIS_REPLICA_URL`` is set to)."""
        return (
            f"postgresql://{settings.pg_user}@/{settings.pg_database}"
            f"?host={self.run}&port={self.port}"
        )


def _primary(settings: Settings) -> psycopg.Connection:
    return psycopg.connect(settings.libpq_url(), autocommit=True, connect_timeout=5)


def enable_replication(settings: Settings) -> bool:
    """``wal_level = replica`` on the primary (restarting it if needed); True when restarted."""
    cluster.start(settings)
    with _primary(settings) as conn:
        level = conn.execute("SHOW wal_level").fetchone()
        if level and level[0] in ("replica", "logical"):
            return False
        conn.execute("ALTER SYSTEM SET wal_level = 'replica'")
        conn.execute("ALTER SYSTEM SET max_wal_senders = '5'")
    log.info("Primärserver wird für Replikation neu gestartet (wal_level = replica).")
    cluster.stop(settings)
    cluster.start(settings)
    return True


def disable_replication(settings: Settings) -> None:
    """Back to ``wal_level = minimal`` from the primary's next start on."""
    with _primary(settings) as conn:
        conn.execute("ALTER SYSTEM RESET wal_level")
        conn.execute("ALTER SYSTEM RESET max_wal_senders")


def create(settings: Settings, standby: Standby) -> None:
    """A fresh standby from ``pg_basebackup`` (an old one is stopped and replaced)."""
    stop(settings, standby)
    enable_replication(settings)
    shutil.rmtree(standby.data, ignore_errors=True)
    for directory in (standby.root, standby.run, standby.logfile.parent):
        directory.mkdir(parents=True, exist_ok=True)
    if cluster._is_root():
        user = cluster._ensure_os_user(settings.pg_os_user)
        for directory in (standby.root, standby.run, standby.logfile.parent):
            cluster._chown(directory, user)
    argv = [str(cluster.bindir() / "pg_basebackup"), "-D", str(standby.data), "-R"]
    argv += ["-X", "stream", "-c", "fast", "-h", str(settings.pg_socket_dir)]
    argv += ["-p", str(settings.pg_port), "-U", settings.pg_user]
    cluster._run(cluster._as_cluster_user(settings, argv), cwd=standby.root, what="pg_basebackup")
    own = {
        "port": standby.port,
        "unix_socket_directories": standby.run,
        "hot_standby": "on",
        "hot_standby_feedback": "on",
    }
    with (standby.data / "postgresql.auto.conf").open("a", encoding="utf-8") as handle:
        handle.write("# BürgerGIS standby (buergergis.db.standby)\n")
        for name, value in own.items():
            handle.write(f"{name} = '{value}'\n")


def start(settings: Settings, standby: Standby) -> None:
    """Start the standby and wait until it accepts read-only connections."""
    if running(standby):
        return
    argv = [str(cluster.bindir() / "pg_ctl"), "start", "-D", str(standby.data)]
    argv += ["-l", str(standby.logfile), "-w", "-t", "60", "-s"]
    try:
        cluster._run(
            cluster._as_cluster_user(settings, argv), cwd=standby.root, what="pg_ctl start"
        )
    except ClusterError as exc:
        raise ClusterError(
            f"Das Replikat ließ sich nicht starten ({exc.description}). "
            f"Letzte Zeilen aus {standby.logfile}:\n{cluster.log_tail(standby.logfile)}"
        ) from exc
    deadline = time.monotonic() + 60
    while True:
        try:
            with psycopg.connect(standby.url(settings), connect_timeout=2) as conn:
                conn.execute("SELECT 1")
                return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise ClusterError(f"Das Replikat nimmt keine Verbindungen an: {exc}") from exc
            time.sleep(0.2)


def stop(settings: Settings, standby: Standby) -> bool:
    """Stop the standby (fast shutdown); False when it was not running."""
    if not running(standby):
        return False
    argv = [str(cluster.bindir() / "pg_ctl"), "stop", "-D", str(standby.data), "-m", "fast"]
    cluster._run(cluster._as_cluster_user(settings, [*argv, "-w", "-s"]), what="pg_ctl stop")
    return True


def running(standby: Standby) -> bool:
    """Whether the standby's postmaster runs."""
    try:
        first = (standby.data / "postmaster.pid").read_text(encoding="utf-8").split("\n", 1)[0]
    except (FileNotFoundError, UnicodeDecodeError):
        return False
    return first.strip().isdigit() and cluster._is_postgres_process(int(first))


def streaming(settings: Settings) -> bool:
    """Whether the primary currently sends WAL to a standby."""
    try:
        with _primary(settings) as conn:
            row = conn.execute("SELECT count(*) FROM pg_stat_replication").fetchone()
    except psycopg.Error:
        return False
    return bool(row and row[0])


def set_apply_delay(settings: Settings, standby: Standby, delay_ms: int) -> None:
    """``recovery_min_apply_delay`` on the standby (tests: an artificial lag), reloaded."""
    with psycopg.connect(standby.url(settings), autocommit=True, connect_timeout=5) as conn:
        conn.execute(f"ALTER SYSTEM SET recovery_min_apply_delay = '{int(delay_ms)}ms'")
        conn.execute("SELECT pg_reload_conf()")
