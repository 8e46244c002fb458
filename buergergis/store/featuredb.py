"""The database side of the hot feature requests: one psycopg connection per thread.

``/items`` and ``/items/{id}`` are the busiest requests of the API. Each thread keeps one
autocommit connection with the session settings a feature query needs (statement timeout,
no parallel workers, no JIT) — no pool checkout, no ping, no ``ROLLBACK`` on return — so a
request costs two round trips: the layer's current version, then the page. Both run as
server-side prepared statements (for the page only where :func:`preparable` says its generic
plan is as good as a planned one): planning the page statement took about a fifth of its
PostgreSQL CPU time. Parallel workers
are off because a web server runs many small queries at once: with them the benchmark bbox
query took 157 ms instead of 8 ms at two clients (docs/benchmarks.md).

The layer version is read on every request (a reload is seen by the very next request, in
every worker); full :class:`LayerRecord` objects are memoised per ``(id, version)``, which is
safe because versions are never reused.
"""

from __future__ import annotations

import psycopg
from sqlalchemy import Engine

from buergergis.store.catalog import LayerRecord
from buergergis.store.crs import Crs
from buergergis.store.features import (
    ItemsPage,
    ItemsQuery,
    build_count,
    build_item,
    build_items,
    preparable,
)
from buergergis.store.memo import MemoDatabase

_STATE = "SELECT version, public, kind FROM buergergis.layer WHERE id = %s"
#: psycopg's ``prepare_threshold``: never prepare on its own, only ``execute(prepare=True)``
#: (``None`` would forbid that too).
ONLY_MARKED = 2**31 - 1


class FeatureDatabase(MemoDatabase):
    """Per-thread connections for feature queries plus the layer record memo."""

    def __init__(
        self,
        libpq_url: str,
        engine: Engine,
        timeout_ms: int = 15000,
        *,
        replica_url: str | None = None,
        replica_retry_s: float = 2.0,
    ) -> None:
        """``replica_url``: a standby anonymous reads may use (:mod:`buergergis.db.replica`)."""
        super().__init__(
            libpq_url, engine, timeout_ms, application_name="buergergis-features",
            prepare_threshold=ONLY_MARKED, replica_url=replica_url, replica_retry_s=replica_retry_s,
        )  # fmt: skip

    def layer(self, layer_id: str) -> LayerRecord | None:
        """A public, loaded vector layer at its current version (``None`` otherwise)."""
        row = self._run(lambda conn: conn.execute(_STATE, (layer_id,), prepare=True).fetchone())
        if row is None or not row[1] or row[2] != "vector" or row[0] <= 0:
            return None
        return self._memo.get(layer_id, int(row[0]))

    def items(self, layer: LayerRecord, query: ItemsQuery) -> ItemsPage:
        """One page of features."""
        stmt, prepare = build_items(layer, query), preparable(query)

        def work(conn: psycopg.Connection) -> ItemsPage:
            row = conn.execute(stmt.sql, stmt.params, prepare=prepare).fetchone()
            assert row is not None
            matched = row[0]
            if matched is None:  # a page behind the last feature: count on its own
                count = build_count(layer, query)
                found = conn.execute(count.sql, count.params, prepare=prepare).fetchone()
                matched = found[0]  # type: ignore[index]
            return ItemsPage(row[2], int(matched), int(row[1]), row[3])

        return self._run(work)

    def item(
        self, layer: LayerRecord, fid: str, crs: Crs, names: tuple[str, ...] | None = None
    ) -> str | None:
        """One feature as GeoJSON text, or ``None``."""
        stmt = build_item(layer, fid, crs, names)

        def work(conn: psycopg.Connection) -> str | None:
            row = conn.execute(stmt.sql, stmt.params, prepare=True).fetchone()
            return None if row is None else str(row[0])

        return self._run(work)
