"""gunicorn's threaded worker, sending a response's head and body in one write.

gunicorn writes the status line and headers, then the body, with two ``sendall`` calls; with
several threads in one process the second can wait for the GIL for milliseconds. An app
instance killed in that gap leaves nginx with headers and no body — a request nginx cannot
retry on another instance any more, because it has already answered the client's headers.
Sent in one write, a response is either complete or not started, and a request that was not
answered is retried (``proxy_next_upstream``). ``make cluster`` uses it:
``gunicorn --worker-class buergergis.gunicorn_worker.ThreadWorker``.
"""

from __future__ import annotations

from typing import Any

from gunicorn.http import wsgi
from gunicorn.workers import gthread


class OneWriteResponse(wsgi.Response):
    """Keeps the head until the first body bytes (or the end) and sends both together."""

    _head = b""
    headers_sent: bool

    def send_headers(self) -> None:
        """Build the head; it leaves with the first body bytes or at ``close``."""
        if self.headers_sent:
            return
        lines = self.default_headers()
        lines.extend(f"{name}: {value}\r\n" for name, value in self.headers)
        self._head = f"{''.join(lines)}\r\n".encode("latin-1")
        self.headers_sent = True

    def _flush_head(self) -> None:
        head, self._head = self._head, b""
        if head:
            self.sock.sendall(head)

    def _emit_body(self, data: bytes) -> None:
        head, self._head = self._head, b""
        if head and not self.chunked:
            self.sock.sendall(head + data)
            return
        if head:
            self.sock.sendall(head)
        super()._emit_body(data)

    def sendfile(self, respiter: Any) -> bool:
        """Files go out with ``os.sendfile``: the head first, as gunicorn does."""
        if self.cfg.is_ssl or not self.can_sendfile():
            return False
        self.send_headers()
        self._flush_head()
        result: bool = super().sendfile(respiter)
        return result

    def close(self) -> None:
        """Bodiless responses (304, HEAD): the head alone."""
        self.send_headers()
        self._flush_head()
        super().close()


wsgi.Response = OneWriteResponse  # what gunicorn's request handling instantiates


class ThreadWorker(gthread.ThreadWorker):
    """``gthread`` with :class:`OneWriteResponse` (importing this module installs it)."""
