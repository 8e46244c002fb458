"""A limit on expensive requests, so that they never take every core or thread of the server.

Ten people searching at once must not slow down the map for everyone else. A :class:`Gate`
does two things before the request does any work:

- it counts the holders of this process: beyond ``queue`` (running or waiting) the request
  gets a 503 at once, so waiting searches never occupy every worker thread and the map's
  other requests always find one;
- it takes one of ``slots`` slots counted in PostgreSQL (:mod:`buergergis.store.slots`), so
  across every worker process and app instance that share the database; without a free slot
  the request waits (its thread sleeps, using no CPU) up to ``wait_s`` seconds, then 503.

For searches the three numbers are settings: ``BUERGERGIS_SEARCH_SLOTS`` (default 1),
``BUERGERGIS_SEARCH_QUEUE`` (8 per process; gunicorn runs 12 threads) and
``BUERGERGIS_SEARCH_WAIT_S`` (3 s).

Every 503 carries ``Retry-After`` and a German message (the one error path).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

from buergergis.errors import Unavailable
from buergergis.store import slots as slot_store


class Gate:
    """At most ``slots`` holders of ``name`` per database, ``queue`` per process."""

    def __init__(self, name: str, message: str, message_en: str) -> None:
        self.name = name
        self._message = message
        self._message_en = message_en
        self._lock = threading.Lock()
        self._inside = 0

    @contextmanager
    def enter(self, conn: Connection, slots: int, queue: int, wait_s: float) -> Iterator[None]:
        """Hold a slot for the ``with`` block, in ``conn``'s transaction (503 if none frees up)."""
        with self._lock:
            if self._inside >= queue:
                raise Unavailable(self._message, description_en=self._message_en)
            self._inside += 1
        try:
            if not slot_store.hold(conn, self.name, slots, wait_s):
                raise Unavailable(self._message, description_en=self._message_en)
            yield
        finally:
            with self._lock:
                self._inside -= 1


#: Searches queue for a few slots: other requests keep their CPU and their threads.
SEARCH = Gate(
    "buergergis.search",
    "Die Suche ist gerade stark gefragt. Bitte gleich noch einmal versuchen.",
    "Search is in high demand right now. Please try again in a moment.",
)
