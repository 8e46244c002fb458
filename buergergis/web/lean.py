"""The one shape of a path answered in front of Flask (cached tiles, items pages).

A :class:`LeanPath` looks at the raw WSGI request (:meth:`~LeanPath.candidate`), tries to
answer it (:meth:`~LeanPath.answer`, ``None``: not here), counts the answer in the request
metrics under its route, and hands everything else to Flask unchanged — so errors keep
their one place (:func:`buergergis.web.errors.problem_of`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.wrappers import Response

from buergergis import metrics

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class LeanPath:
    """WSGI middleware base: answers what :meth:`answer` can, passes the rest on."""

    #: The Flask rule these requests belong to (the label of their metrics).
    route = ""

    def __init__(self, wsgi_app: WSGIApp) -> None:
        self.wsgi_app = wsgi_app

    def candidate(self, environ: dict[str, Any]) -> bool:
        """A cheap look at the raw request: worth trying here?"""
        raise NotImplementedError

    def answer(self, environ: dict[str, Any]) -> Response | None:
        """The response, or ``None`` to let Flask answer."""
        raise NotImplementedError

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if self.candidate(environ):
            started = time.perf_counter()
            response = self.answer(environ)
            if response is not None:
                seconds = time.perf_counter() - started
                metrics.observe_request(
                    self.route, environ["REQUEST_METHOD"], response.status_code, seconds
                )
                return response(environ, start_response)
        return self.wsgi_app(environ, start_response)
