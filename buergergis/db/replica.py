"""Read routing: which requests may read from the streaming-replication standby.

Anonymous ``GET``/``HEAD`` requests of features and tiles may read from the replica
(``BUERGERGIS_REPLICA_URL``); staff requests (``/admin``, a session cookie, an
``Authorization`` header) and every request of a session that wrote in the last
``primary_after_write_s`` seconds (the :data:`WROTE_COOKIE`) read from the primary.

**Never stale across replica lag.** The hot paths read a layer's version and then its data
from the same connection, and every version's data is an immutable table
(``layerdata."<id>__v<n>"``) created in the transaction that makes it current. So a standby
that says "version N" holds exactly N's data: whatever its lag, a tile or an ETag for N is
built from N. The only mix left — the layer record memo (loaded on the primary) naming a
version the replica has not replayed yet — surfaces as a missing table, and that read is
repeated on the primary.

**Down and back.** When the replica cannot be reached, this process reads from the primary
for ``replica_retry_s`` seconds, then tries the replica again; both changes are logged once.

The decision is made once per request by :class:`ReplicaRouting` (WSGI, outermost, so the
tile fast path in front of Flask is covered too) and kept in a context variable that
:class:`buergergis.db.threadconn.ThreadConnections` reads.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from http.cookies import SimpleCookie
from typing import Any

log = logging.getLogger("buergergis.db")

#: Set after a write; while present, the session reads from the primary (read your writes).
WROTE_COOKIE = "buergergis_primary"
#: Flask's session cookie: its presence marks a staff (or form-filling) session.
SESSION_COOKIE = "session"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_REPLICA_OK: ContextVar[bool] = ContextVar("buergergis_replica_ok", default=False)


def replica_allowed() -> bool:
    """Whether the current request may read from the replica (``False`` outside requests)."""
    return _REPLICA_OK.get()


@contextlib.contextmanager
def replica_reads(allowed: bool) -> Iterator[None]:
    """Within the block, reads may (``True``) or may not use the replica."""
    token = _REPLICA_OK.set(allowed)
    try:
        yield
    finally:
        _REPLICA_OK.reset(token)


def may_read_replica(environ: dict[str, Any]) -> bool:
    """The routing rule for one request (WSGI environ): anonymous reads only."""
    if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        return False
    path = environ.get("PATH_INFO", "")
    if path == "/admin" or path.startswith("/admin/") or environ.get("HTTP_AUTHORIZATION"):
        return False
    raw = environ.get("HTTP_COOKIE")
    if not raw:
        return True
    cookies = SimpleCookie()
    with contextlib.suppress(Exception):  # a malformed cookie header: treat as present
        cookies.load(raw)
        return SESSION_COOKIE not in cookies and WROTE_COOKIE not in cookies
    return False


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ReplicaRouting:
    """WSGI middleware: decides replica or primary per request; marks sessions that wrote."""

    def __init__(self, wsgi_app: WSGIApp, primary_after_write_s: int) -> None:
        self.wsgi_app = wsgi_app
        self.cookie = (
            f"{WROTE_COOKIE}=1; Max-Age={int(primary_after_write_s)}; Path=/; HttpOnly; "
            "SameSite=Lax"
        )

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        wrote = environ.get("REQUEST_METHOD") not in _SAFE_METHODS

        def start(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            if wrote:
                headers = [*headers, ("Set-Cookie", self.cookie)]
            return start_response(status, headers, *args)

        token = _REPLICA_OK.set(may_read_replica(environ))
        try:
            # The body is produced inside the call for every response the app returns
            # (Flask buffers; downloads stream from files without touching the database).
            return self.wsgi_app(environ, start)
        finally:
            _REPLICA_OK.reset(token)


class ReplicaHealth:
    """Whether this process should try the replica now; logs each change once."""

    def __init__(self, retry_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._retry_s = retry_s
        self._clock = clock
        self._down_until: float | None = None
        self._lock = threading.Lock()

    def usable(self) -> bool:
        """False for ``retry_s`` seconds after a failure, then True again (a new try)."""
        until = self._down_until
        return until is None or self._clock() >= until

    def failed(self, cause: BaseException) -> None:
        """The replica could not be reached: use the primary for a while."""
        with self._lock:
            first = self._down_until is None
            self._down_until = self._clock() + self._retry_s
        if first:
            line = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
            log.warning("Replikat nicht erreichbar, Lesen vom Primärserver: %s", line[:200])

    def ok(self) -> None:
        """A read on the replica worked."""
        if self._down_until is None:
            return
        with self._lock:
            if self._down_until is None:
                return
            self._down_until = None
        log.warning("Replikat wieder erreichbar, anonyme Lesezugriffe gehen wieder dorthin.")
