"""GeoJSON pages of ``/ogc/collections/{id}/items`` (and their 304s) answered in front of Flask.

The busiest API request needs: the layer's current version, the page and the headers. What a
full Flask dispatch adds around the view — the rate limiter's and Flask-Login's hooks, the
session cookie, request logging — costs about as much Python time as the view itself and is
not needed for an anonymous read of a public layer. So this WSGI middleware pushes the app's
request context (the app's URL map matches the route, ``flask.request`` is the same request
object) and calls **the Flask view itself** (:func:`buergergis.web.ogc.items.items`): the same
parameter parsing, layer lookup, validator, 304 and GeoJSON encoder. Around it, it runs the
parts of the app-wide hooks the response depends on, through the same objects: the NUL guard
(:func:`buergergis.web.guard.check_request`), Flask-Compress's own ``after_request``, the one
CORS definition and the request metrics. ``tests/test_items_fast.py`` compares both paths
header by header and byte by byte.

Everything else goes on to Flask unchanged: other routes and methods, HTML, parameters other
than the common ones (``filter``, ``sortby``, ``near``, queryables: :data:`LEAN_PARAMETERS`),
private or unknown layers and any error — so errors keep their one JSON body and their one
place (:func:`buergergis.web.errors.problem_of`): after an error here, Flask runs the request
again and answers it (a query that timed out costs its time twice).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response
from flask.ctx import RequestContext

from buergergis.web.caching import CORS_HEADERS, compressor
from buergergis.web.guard import check_request
from buergergis.web.lean import LeanPath, WSGIApp
from buergergis.web.ogc.items import OFFERED
from buergergis.web.ogc.items import items as items_view
from buergergis.web.ogc.negotiation import negotiate

log = logging.getLogger("buergergis.ogc")

#: The endpoint of the Flask view answered here, and its rule (the label of its metrics).
ENDPOINT = "ogc.items"
ROUTE = "/ogc/collections/<collection_id>/items"
#: Query parameters of the requests answered here; any other one goes to Flask.
LEAN_PARAMETERS = frozenset(
    {"f", "lang", "bbox", "bbox-crs", "limit", "offset", "cursor", "crs", "properties"}
)


class LeanItems(LeanPath):
    """WSGI middleware: answers GeoJSON items pages of public layers, passes the rest on."""

    route = ROUTE

    def __init__(self, wsgi_app: WSGIApp, app: Flask) -> None:
        super().__init__(wsgi_app)
        self.app = app

    def candidate(self, environ: dict[str, Any]) -> bool:
        """A cheap look at the raw request: a GET/HEAD of a path ending in ``/items`` under
        ``/ogc/collections/`` (the URL map decides afterwards)."""
        path: str = environ.get("PATH_INFO", "")
        return (
            environ.get("REQUEST_METHOD") in ("GET", "HEAD")
            and path.startswith("/ogc/collections/")
            and path.endswith("/items")
        )

    def answer(self, environ: dict[str, Any]) -> Response | None:
        """The Flask view's response, or ``None`` to let Flask answer."""
        return self._answer(environ)

    def _answer(self, environ: dict[str, Any]) -> Response | None:
        """The response of the Flask view, or ``None`` to let Flask answer."""
        app = self.app
        ctx = RequestContext(app, environ, session=app.session_interface.make_null_session(app))
        ctx.push()
        try:
            request = ctx.request
            rule = request.url_rule
            if (
                rule is None
                or rule.endpoint != ENDPOINT
                or not LEAN_PARAMETERS.issuperset(request.args.keys())
            ):
                return None
            check_request()
            if negotiate(OFFERED) != "geojson":
                return None
            response = items_view(**(request.view_args or {}))
            response.headers.update(CORS_HEADERS)  # Flask runs its hooks last-registered first
            return compressor(app).after_request(response)
        except Exception as exc:  # any error: Flask answers it (the one error path)
            log.debug("items lean path declined %s: %r", environ.get("PATH_INFO"), exc)
            return None
        finally:
            ctx.pop(None)


def init_lean_items(app: Flask) -> None:
    """Put :class:`LeanItems` in front of the app's WSGI callable."""
    app.wsgi_app = LeanItems(app.wsgi_app, app)  # type: ignore[method-assign]
