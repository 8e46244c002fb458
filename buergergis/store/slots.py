"""Slots for expensive work, shared by every process and instance that uses the database.

A search costs the database a few milliseconds of CPU; ten at once on a two-core server take
both cores, and the map's other requests wait. A slot is a transaction-scoped advisory lock
(``pg_advisory_xact_lock(hashtext(name), n)``): at most ``slots`` transactions hold one of a
name at a time — across gunicorn workers and app instances, because the lock lives in
PostgreSQL. A caller that finds every slot taken waits in PostgreSQL (its thread sleeps,
its process uses no CPU) for up to ``wait_s`` seconds. The slot is released when the
connection's transaction ends. Advisory locks work on a hot standby as well.
"""

from __future__ import annotations

import random

import psycopg
from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

_TRY = (
    "SELECT n FROM generate_series(0, :last) AS n"
    " WHERE pg_try_advisory_xact_lock(hashtext(:name), n) LIMIT 1"
)


def hold(conn: Connection, name: str, slots: int, wait_s: float) -> bool:
    """Take one of ``slots`` slots of ``name`` for the rest of ``conn``'s transaction.

    Returns ``False`` if none became free within ``wait_s`` seconds; the transaction is then
    rolled back (it held nothing else worth keeping: the caller gives up).
    """
    if conn.execute(text(_TRY), {"name": name, "last": slots - 1}).first() is not None:
        return True
    try:
        conn.execute(
            text("SELECT set_config('lock_timeout', :ms, true)"),
            {"ms": f"{max(1, round(wait_s * 1000))}ms"},
        )
        conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:name), :n)"),
            {"name": name, "n": random.randrange(slots)},  # spreads the waiters
        )
    except OperationalError as exc:
        if not isinstance(exc.orig, psycopg.errors.LockNotAvailable):
            raise
        conn.rollback()
        return False
    conn.execute(text("RESET lock_timeout"))  # the work itself waits for locks as usual
    return True
