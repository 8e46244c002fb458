"""Every request to another authority passes here: allowed hosts only, a response size limit.

:class:`Guard` is a ``urllib`` handler. It refuses a request to a host outside the allow-list
before connecting (redirects included: urllib runs the handler again for the new address) and
stops reading a response beyond the size limit. GetFeatureInfo uses it through
:func:`opener`; MapProxy's shared opener gets it in :func:`guard_mapproxy`.
"""

from __future__ import annotations

import contextlib
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.error import URLError
from urllib.parse import urlsplit

from buergergis.errors import DefinitionError


@dataclass(frozen=True)
class Policy:
    """Allowed hosts (``host`` or ``host:port``), response size limit and timeout."""

    allowed: frozenset[str]
    max_bytes: int
    timeout_s: float


def host_allowed(url: str, allowed: frozenset[str]) -> bool:
    """Whether ``url`` names an allowed host (entries ``host`` or ``host:port``)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host or parts.scheme not in {"http", "https"}:
        return False
    return host in allowed or (parts.port is not None and f"{host}:{parts.port}" in allowed)


def check_host(url: str, allowed: frozenset[str], origin: str) -> None:
    """Refuse a definition whose service is not on the allow-list (German message)."""
    if not host_allowed(url, allowed):
        host = urlsplit(url).netloc or url[:60]
        raise DefinitionError(
            f"{origin}: Feld 'extern.url': Der Dienst-Host '{host}' ist nicht freigegeben. "
            "Erlaubte Hosts stehen in BUERGERGIS_EXTERN_HOSTS"
            + (f" (zurzeit: {', '.join(sorted(allowed))})." if allowed else " (zurzeit: keine).")
        )


class TooLarge(URLError):
    """The upstream response is larger than the limit."""


class _Capped:
    """A response body that raises :class:`TooLarge` once more than ``limit`` bytes are read."""

    def __init__(self, raw: Any, limit: int) -> None:
        self._raw, self._limit, self._seen = raw, limit, 0

    def _count(self, size: int) -> None:
        self._seen += size
        if self._seen > self._limit:
            raise TooLarge(f"Antwort größer als {self._limit} Bytes")

    def read(self, *args: Any) -> bytes:
        data: bytes = self._raw.read(*args)
        self._count(len(data))
        return data

    def read1(self, *args: Any) -> bytes:
        data: bytes = self._raw.read1(*args)
        self._count(len(data))
        return data

    def readline(self, *args: Any) -> bytes:
        data: bytes = self._raw.readline(*args)
        self._count(len(data))
        return data

    def readinto(self, buffer: Any) -> int:
        size: int = self._raw.readinto(buffer)
        self._count(size)
        return size

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


_ACTIVE = threading.local()


@contextlib.contextmanager
def active(policy: Policy) -> Iterator[None]:
    """Requests of this thread (MapProxy's, inside one tile request) follow ``policy``."""
    previous = getattr(_ACTIVE, "policy", None)
    _ACTIVE.policy = policy
    try:
        yield
    finally:
        _ACTIVE.policy = previous


class Guard(urllib.request.BaseHandler):
    """Allow-list before connecting, size limit while reading. The policy is the thread's
    active one (:func:`active`), else the one given (several apps may share a process)."""

    handler_order = 100  # before urllib's own handlers

    def __init__(self, policy: Policy) -> None:
        self._policy = policy

    @property
    def policy(self) -> Policy:
        """The policy for the current request."""
        current: Policy | None = getattr(_ACTIVE, "policy", None)
        return current or self._policy

    @policy.setter
    def policy(self, value: Policy) -> None:
        self._policy = value

    def http_request(self, req: urllib.request.Request) -> urllib.request.Request:
        """Refuse hosts outside the allow-list (also after a redirect)."""
        if not host_allowed(req.full_url, self.policy.allowed):
            raise URLError(f"Host nicht freigegeben: {urlsplit(req.full_url).netloc}")
        return req

    https_request = http_request

    def http_response(self, req: urllib.request.Request, response: Any) -> Any:
        """Refuse a declared length over the limit; count the bytes of every other body."""
        length = response.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > self.policy.max_bytes:
            response.close()
            raise TooLarge(f"Antwort größer als {self.policy.max_bytes} Bytes")
        raw = getattr(response, "fp", None)
        if raw is not None:
            response.fp = _Capped(raw, self.policy.max_bytes)
        return response

    https_response = http_response


def opener(policy: Policy) -> urllib.request.OpenerDirector:
    """A urllib opener with the guard, no cookies; an outgoing proxy from the environment
    (``https_proxy``) is used as MapProxy uses it — the guard checks the target host."""
    return urllib.request.build_opener(Guard(policy))


_LOCK = threading.Lock()
_MAPPROXY_GUARD: Guard | None = None


def guard_mapproxy(policy: Policy) -> None:
    """Put the guard into every URL opener MapProxy has built (call after loading its
    configuration: the sources create their openers then). MapProxy keeps its openers in a
    process-wide cache; the guard follows the policy of the calling app (:func:`active`)."""
    global _MAPPROXY_GUARD
    from mapproxy.client.http import create_url_opener

    with _LOCK:
        if _MAPPROXY_GUARD is None:
            _MAPPROXY_GUARD = Guard(policy)
        for shared, _passwords in create_url_opener._opener.values():
            if _MAPPROXY_GUARD not in shared.handlers:
                shared.add_handler(_MAPPROXY_GUARD)
