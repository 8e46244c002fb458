"""Per-address counters in PostgreSQL (``buergergis.rate_counter``): limits that hold across
every worker process, counted in the caller's transaction — so an attempt that fails later in
that transaction is not counted."""

from __future__ import annotations

import time
from typing import Any

from limits.storage import Storage
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError


def hit(conn: Connection, key: str, window_seconds: int) -> int:
    """Count one hit of ``key`` in the current fixed window; returns the hits of the window."""
    row = conn.execute(
        text(
            "INSERT INTO buergergis.rate_counter (key, window_start, hits)"
            " VALUES (:key, to_timestamp(floor(extract(epoch FROM now()) / :w) * :w), 1)"
            " ON CONFLICT (key, window_start)"
            " DO UPDATE SET hits = buergergis.rate_counter.hits + 1 RETURNING hits"
        ),
        {"key": key, "w": window_seconds},
    ).one()
    return int(row.hits)


def hits(conn: Connection, key: str, window_seconds: int) -> int:
    """The hits of ``key`` in the current window (without counting)."""
    value = conn.execute(
        text(
            "SELECT hits FROM buergergis.rate_counter WHERE key = :key"
            " AND window_start = to_timestamp(floor(extract(epoch FROM now()) / :w) * :w)"
        ),
        {"key": key, "w": window_seconds},
    ).scalar_one_or_none()
    return int(value or 0)


def forget(conn: Connection, older_than_seconds: int = 2 * 86400) -> int:
    """Drop finished windows."""
    result = conn.execute(
        text(
            "DELETE FROM buergergis.rate_counter"
            " WHERE window_start < now() - make_interval(secs => :s)"
        ),
        {"s": older_than_seconds},
    )
    return int(result.rowcount or 0)


class PostgresStorage(Storage):
    """Fixed-window counters of Flask-Limiter in ``buergergis.rate_counter``, so a limit holds
    across every worker process (``storage_uri="buergergis://"``, ``storage_options={"engine":
    engine}``). A counter row's ``window_start`` holds the end of its window."""

    STORAGE_SCHEME = ["buergergis"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any):
        self.engine: Engine = options.pop("engine")
        super().__init__(uri, wrap_exceptions=wrap_exceptions)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        """What the limiter treats as a storage failure."""
        return SQLAlchemyError

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Count ``amount`` hits of ``key`` in its current window (a new one when expired)."""
        with self.engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"rl:{key}"})
            hits = conn.execute(
                text(
                    "UPDATE buergergis.rate_counter SET hits = hits + :a"
                    " WHERE key = :k AND window_start > now() RETURNING hits"
                ),
                {"k": f"rl:{key}", "a": amount},
            ).scalar_one_or_none()
            if hits is None:
                conn.execute(
                    text("DELETE FROM buergergis.rate_counter WHERE key = :k"), {"k": f"rl:{key}"}
                )
                conn.execute(
                    text(
                        "INSERT INTO buergergis.rate_counter (key, window_start, hits)"
                        " VALUES (:k, now() + make_interval(secs => :e), :a)"
                    ),
                    {"k": f"rl:{key}", "e": float(expiry), "a": amount},
                )
                hits = amount
        return int(hits)

    def get(self, key: str) -> int:
        """Hits of ``key`` in its current window."""
        with self.engine.connect() as conn:
            value = conn.execute(
                text(
                    "SELECT hits FROM buergergis.rate_counter"
                    " WHERE key = :k AND window_start > now()"
                ),
                {"k": f"rl:{key}"},
            ).scalar_one_or_none()
        return int(value or 0)

    def get_expiry(self, key: str) -> float:
        """When the current window of ``key`` ends (epoch seconds)."""
        with self.engine.connect() as conn:
            value = conn.execute(
                text(
                    "SELECT extract(epoch FROM window_start) FROM buergergis.rate_counter"
                    " WHERE key = :k AND window_start > now()"
                ),
                {"k": f"rl:{key}"},
            ).scalar_one_or_none()
        return float(value) if value is not None else time.time()

    def check(self) -> bool:
        """Whether the database answers."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        """Forget every limiter counter."""
        with self.engine.begin() as conn:
            result = conn.execute(text("DELETE FROM buergergis.rate_counter WHERE key LIKE 'rl:%'"))
        return int(result.rowcount or 0)

    def clear(self, key: str) -> None:
        """Forget the counter of ``key``."""
        with self.engine.begin() as conn:
            conn.execute(
                text("DELETE FROM buergergis.rate_counter WHERE key = :k"), {"k": f"rl:{key}"}
            )
