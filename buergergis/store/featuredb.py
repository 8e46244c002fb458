"""The database side of the hot feature requests: one psycopg connection per thread.

``/items`` and ``/items/{id}`` are the busiest requests of the API. Each thread keeps one
autocommit connection with the session settings a feature query needs (statement timeout,
no parallel workers, no JIT) — no pool checkout, no ping, no ``ROLLBACK`` on return — so a
request costs two round trips: the layer's current version, then the page. Parallel workers
are off because a web server runs many small queries at once: with them the benchmark bbox
query took 157 ms instead of 8 ms at two clients (docs/benchmarks.md).

The layer version is read on every request (a reload is seen by the very next request, in
every worker); full :class:`LayerRecord` objects are memoised per ``(id, version)``, which is
safe because versions are never reused.
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
from buergergis.store.crs import Crs
from buergergis.store.features import ItemsPage, ItemsQuery, build_count, build_item, build_items

T = TypeVar("T")
_STATE = "SELECT version, public, kind FROM buergergis.layer WHERE id = %s"
_MEMO_SIZE = 256


class FeatureDatabase:
    """Per-thread connections for feature queries plus the layer record memo."""

    def __init__(self, libpq_url: str, engine: Engine, timeout_ms: int = 15000) -> None:
        self._url = libpq_url
        self._engine = engine
        self._options = (
            f"-c statement_timeout={int(timeout_ms)} -c max_parallel_workers_per_gather=0"
            " -c jit=off"
        )
        self._local = threading.local()
        self._memo: OrderedDict[tuple[str, int], LayerRecord] = OrderedDict()
        self._lock = threading.Lock()

    def _connection(self) -> psycopg.Connection:
        conn: psycopg.Connection | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = psycopg.connect(
                self._url,
                autocommit=True,
                application_name="buergergis-features",
                connect_timeout=5,
                options=self._options,
                prepare_threshold=None,
            )
            self._local.conn = conn
        return conn

    def _run(self, work: Callable[[psycopg.Connection], T]) -> T:
        """Run a read; a lost connection is replaced once, a timeout becomes 503."""
        for attempt in (1, 2):
            conn = self._connection()
            try:
                return work(conn)
            except psycopg.errors.QueryCanceled:
                raise Unavailable("Die Anfrage hat zu lange gedauert.") from None
            except psycopg.OperationalError:
                conn.close()
                if attempt == 2:
                    raise Unavailable("Die Datenbank ist gerade nicht erreichbar.") from None
        raise AssertionError("unreachable")

    def layer(self, layer_id: str) -> LayerRecord | None:
        """A public, loaded vector layer at its current version (``None`` otherwise)."""
        row = self._run(lambda conn: conn.execute(_STATE, (layer_id,)).fetchone())
        if row is None or not row[1] or row[2] != "vector" or row[0] <= 0:
            return None
        key = (layer_id, int(row[0]))
        with self._lock:
            record = self._memo.get(key)
        if record is None:
            with self._engine.connect() as conn:
                record = get_layer(conn, layer_id)
            if record is None:
                return None
            with self._lock:
                self._memo[(record.id, record.version)] = record
                while len(self._memo) > _MEMO_SIZE:
                    self._memo.popitem(last=False)
        return record

    def items(self, layer: LayerRecord, query: ItemsQuery) -> ItemsPage:
        """One page of features."""
        stmt = build_items(layer, query)

        def work(conn: psycopg.Connection) -> ItemsPage:
            row = conn.execute(stmt.sql, stmt.params).fetchone()
            assert row is not None
            matched = row[0]
            if matched is None:  # a page behind the last feature: count on its own
                count = build_count(layer, query)
                matched = conn.execute(count.sql, count.params).fetchone()[0]  # type: ignore[index]
            return ItemsPage(row[2], int(matched), int(row[1]))

        return self._run(work)

    def item(
        self, layer: LayerRecord, fid: str, crs: Crs, names: tuple[str, ...] | None = None
    ) -> str | None:
        """One feature as GeoJSON text, or ``None``."""
        stmt = build_item(layer, fid, crs, names)

        def work(conn: psycopg.Connection) -> str | None:
            row = conn.execute(stmt.sql, stmt.params).fetchone()
            return None if row is None else str(row[0])

        return self._run(work)
