"""Whether the database is reachable, as seen by this process — logged on change only.

During an outage every request fails in the same way; one log line when the database goes
away and one when it is back keep the log readable (not a traceback per request). The
engine's ``connect`` event and the per-thread connections report a successful connection.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger("buergergis.db")


class Outage:
    """The reachability state of the database in this process."""

    def __init__(self) -> None:
        self._down = False
        self._lock = threading.Lock()

    @property
    def down_now(self) -> bool:
        """Whether the last contact with the database failed."""
        return self._down

    def down(self, cause: BaseException) -> None:
        """Record a failed contact; logs only on the change from reachable to unreachable."""
        with self._lock:
            if self._down:
                return
            self._down = True
        first_line = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
        log.error("Datenbank nicht erreichbar (%s): %s", type(cause).__name__, first_line[:200])

    def up(self) -> None:
        """Record a successful connection; logs only when the database was gone."""
        if not self._down:
            return
        with self._lock:
            if not self._down:
                return
            self._down = False
        log.warning("Datenbank wieder erreichbar.")


#: The state of this process (one per process, like the engine's pool).
OUTAGE = Outage()
