"""Per-address counters in PostgreSQL (``buergergis.rate_counter``): limits that hold across
every worker process, counted in the caller's transaction — so an attempt that fails later in
that transaction is not counted."""

from __future__ import annotations

from sqlalchemy import Connection, text


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
