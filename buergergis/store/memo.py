"""Layer records memoised per ``(id, version)`` for the hot feature and tile paths.

Versions are never reused, so a memoised :class:`LayerRecord` can never be stale.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

import psycopg
from sqlalchemy import Engine

from buergergis.db.threadconn import ThreadConnections
from buergergis.store.catalog import LayerRecord, get_layer

T = TypeVar("T")


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


class MemoDatabase:
    """Base of the hot-path databases (features, tiles): one connection per thread
    (:class:`ThreadConnections`: autocommit, statement timeout, no parallel workers, replica
    for anonymous reads) plus the :class:`RecordMemo`."""

    #: The message of a statement timeout (German, for the person waiting).
    timeout_message = "Die Anfrage hat zu lange gedauert."

    def __init__(
        self,
        libpq_url: str,
        engine: Engine,
        timeout_ms: int = 15000,
        *,
        application_name: str,
        prepare_threshold: int | None = 5,
        replica_url: str | None = None,
        replica_retry_s: float = 2.0,
    ) -> None:
        """``replica_url``: a standby anonymous reads may use (:mod:`buergergis.db.replica`)."""
        self._db = ThreadConnections(
            libpq_url,
            application_name=application_name,
            timeout_ms=timeout_ms,
            prepare_threshold=prepare_threshold,
            replica_url=replica_url,
            replica_retry_s=replica_retry_s,
        )
        self._memo = RecordMemo(engine)

    def _run(self, work: Callable[[psycopg.Connection], T]) -> T:
        return self._db.run(work, self.timeout_message)

    def close(self) -> None:
        """Close this thread's connection (tests, shutdown)."""
        self._db.close()
