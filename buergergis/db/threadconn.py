"""Hot-path database access shared by feature and tile requests.

Each thread keeps one autocommit psycopg connection with the session settings small web
queries need (statement timeout, no parallel workers, no JIT) — no pool checkout, no ping, no
``ROLLBACK`` on return. Parallel workers are off because a web server runs many small queries
at once (with them the benchmark bbox query took 157 ms instead of 8 ms at two clients).
:class:`RecordMemo` keeps full :class:`LayerRecord` objects per ``(id, version)``; versions
are never reused, so a memoised record can never be stale.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

import psycopg
from sqlalchemy import Engine

from buergergis.errors import Unavailable
from buergergis.store.catalog import LayerRecord, get_layer

T = TypeVar("T")


class ThreadConnections:
    """One connection per thread; a lost connection is replaced once, a timeout becomes 503."""

    def __init__(
        self,
        libpq_url: str,
        *,
        application_name: str,
        timeout_ms: int,
        prepare_threshold: int | None = 5,
    ) -> None:
        self._url = libpq_url
        self._application_name = application_name
        self._prepare_threshold = prepare_threshold
        self._options = f"-c statement_timeout={int(timeout_ms)} -c max_parallel_workers_per_gather=0 -c jit=off"
        self._local = threading.local()

    def connection(self) -> psycopg.Connection:
        """This thread's connection (opened on first use or after it was lost)."""
        conn: psycopg.Connection | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = psycopg.connect(
                self._url,
                autocommit=True,
                application_name=self._application_name,
                connect_timeout=5,
                options=self._options,
                prepare_threshold=self._prepare_threshold,
            )
            self._local.conn = conn
        return conn

    def run(self, work: Callable[[psycopg.Connection], T], timeout_message: str) -> T:
        """Run a read on this thread's connection."""
        for attempt in (1, 2):
            conn = self.connection()
            try:
                return work(conn)
            except psycopg.errors.QueryCanceled:
                raise Unavailable(timeout_message) from None
            except psycopg.OperationalError:
                conn.close()
                if attempt == 2:
                    raise Unavailable(
                        "Die Datenbank ist gerade nicht erreichbar. Bitte später erneut versuchen."
                    ) from None
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Close this thread's connection (tests, shutdown)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()


class RecordMemo:
    """Layer records memoised per ``(id, version)``, loaded through the engine on first use."""

    def __init__(self, engine: Engine, size: int = 256) -> None:
        self._engine = engine
        self._size = size
        self._memo: OrderedDict[tuple[str, int], LayerRecord] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self, layer_id: str, version: int, *, include_private: bool = False
    ) -> LayerRecord | None:
        """The record at ``version``; if the layer moved on meanwhile, the newer record."""
        key = (layer_id, version)
        with self._lock:
            found = self._memo.get(key)
            if found is not None:
                self._memo.move_to_end(key)
                return found
        with self._engine.connect() as conn:
            loaded = get_layer(conn, layer_id, include_private=include_private)
        if loaded is None:
            return None
        with self._lock:
            self._memo[(layer_id, loaded.version)] = loaded
            while len(self._memo) > self._size:
                self._memo.popitem(last=False)
        return loaded
