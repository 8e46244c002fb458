"""A per-process limit on expensive requests, so that they never take every worker's CPU.

Ten people searching at once must not slow down the map for everyone else. A :class:`Gate`
lets ``slots`` callers at a time through; the others wait (their threads sleep, using no CPU)
up to ``wait_s`` seconds and then get a 503 with ``Retry-After`` and a German message.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from buergergis.errors import Unavailable


class Gate:
    """At most ``slots`` holders at once in this process."""

    def __init__(self, slots: int, wait_s: float, message: str) -> None:
        self._slots = threading.BoundedSemaphore(slots)
        self._wait_s = wait_s
        self._message = message

    @contextmanager
    def enter(self) -> Iterator[None]:
        """Hold a slot for the ``with`` block (503 if none frees up in time)."""
        if not self._slots.acquire(timeout=self._wait_s):
            raise Unavailable(self._message)
        try:
            yield
        finally:
            self._slots.release()


#: One search at a time per worker process: searches queue, other requests keep their CPU.
SEARCH = Gate(1, 3.0, "Die Suche ist gerade stark gefragt. Bitte gleich noch einmal versuchen.")
