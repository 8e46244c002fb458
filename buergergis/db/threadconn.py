"""Hot-path database access shared by feature and tile requests.

Each thread keeps one autocommit psycopg connection with the session settings small web
queries need (statement timeout, no parallel workers, no JIT) — no pool checkout, no ping, no
``ROLLBACK`` on return. Parallel workers are off because a web server runs many small queries
at once (with them the benchmark bbox query took 157 ms instead of 8 ms at two clients).
The layer-record memo that goes with it lives in :mod:`buergergis.store.memo` (``db`` knows
nothing of ``store``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import psycopg

from buergergis.db.health import OUTAGE
from buergergis.db.replica import ReplicaHealth, replica_allowed
from buergergis.errors import DatabaseUnavailable, QueryTimeout

T = TypeVar("T")


class ThreadConnections:
    """One connection per thread; a lost connection is replaced once, a timeout becomes 503.

    With ``replica_url`` a thread keeps a second connection to the standby, used when the
    request may read from it (:mod:`buergergis.db.replica`); any failure there falls back
    to the primary.
    """

    def __init__(
        self,
        libpq_url: str,
        *,
        application_name: str,
        timeout_ms: int,
        prepare_threshold: int | None = 5,
        replica_url: str | None = None,
        replica_retry_s: float = 2.0,
    ) -> None:
        self._url = libpq_url
        self._replica_url = replica_url
        self._replica_health = ReplicaHealth(replica_retry_s)
        self._application_name = application_name
        self._prepare_threshold = prepare_threshold
        self._options = f"-c statement_timeout={int(timeout_ms)} -c max_parallel_workers_per_gather=0 -c jit=off"
        self._local = threading.local()

    def connection(self) -> psycopg.Connection:
        """This thread's connection (opened on first use or after it was lost)."""
        conn: psycopg.Connection | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = self._connect(self._url)
            self._local.conn = conn
            OUTAGE.up()
        return conn

    def _connect(self, url: str, connect_timeout: int = 5) -> psycopg.Connection:
        return psycopg.connect(
            url,
            autocommit=True,
            application_name=self._application_name,
            connect_timeout=connect_timeout,
            options=self._options,
            prepare_threshold=self._prepare_threshold,
        )

    def _on_replica(self, work: Callable[[psycopg.Connection], T]) -> tuple[bool, T | None]:
        """``(True, result)`` when the replica answered; ``(False, None)``: ask the primary."""
        conn: psycopg.Connection | None = getattr(self._local, "replica", None)
        try:
            if conn is None or conn.closed:
                conn = self._local.replica = self._connect(self._replica_url or "", 2)
            result = work(conn)
        except psycopg.errors.QueryCanceled:
            raise  # the statement timeout: a 503 like on the primary, not a replica outage
        except (psycopg.errors.UndefinedTable, psycopg.errors.SerializationFailure):
            # a version the standby has not replayed yet, or a query cancelled by replay
            return False, None
        except psycopg.OperationalError as exc:
            if conn is not None:
                conn.close()
            self._local.replica = None
            self._replica_health.failed(exc)
            return False, None
        self._replica_health.ok()
        return True, result

    def run(self, work: Callable[[psycopg.Connection], T], timeout_message: str) -> T:
        """Run a read on this thread's connection (the replica's, when the request may)."""
        if self._replica_url and replica_allowed() and self._replica_health.usable():
            try:
                answered, result = self._on_replica(work)
            except psycopg.errors.QueryCanceled:
                raise QueryTimeout(timeout_message) from None
            if answered:
                return result  # type: ignore[return-value]
        for attempt in (1, 2):
            conn: psycopg.Connection | None = None
            try:
                conn = self.connection()
                return work(conn)
            except psycopg.errors.QueryCanceled:
                raise QueryTimeout(timeout_message) from None
            except psycopg.OperationalError as exc:
                if conn is not None:
                    conn.close()
                self._local.conn = None
                if attempt == 2 or conn is None:
                    raise DatabaseUnavailable() from exc
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Close this thread's connections (tests, shutdown)."""
        for name in ("conn", "replica"):
            conn = getattr(self._local, name, None)
            if conn is not None:
                conn.close()
