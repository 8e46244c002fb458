"""``/metrics`` in the Prometheus text format, and the request metrics of every response.

Not public: a scrape needs ``Authorization: Bearer <BUERGERGIS_METRICS_TOKEN>``, or comes
directly from the loopback interface (no proxy header: requests through nginx carry
``X-Forwarded-For`` and need the token).
"""

from __future__ import annotations

import hmac
import time

from flask import Blueprint, Flask, Response, g, request
from flask.typing import ResponseReturnValue

from buergergis import metrics
from buergergis.errors import Forbidden
from buergergis.store.services import outbox
from buergergis.web import state

bp = Blueprint("metrics", __name__)

LOOPBACK = frozenset({"127.0.0.1", "::1"})
PROXY_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")


def init_app(app: Flask) -> None:
    """Count every answered request by route (the URL rule, never the raw path)."""

    @app.after_request
    def _observe(response: ResponseReturnValue) -> ResponseReturnValue:
        started = g.get("started")
        if started is not None and isinstance(response, Response):
            rule = request.url_rule.rule if request.url_rule is not None else "(unmatched)"
            seconds = time.perf_counter() - started
            metrics.observe_request(rule, request.method, response.status_code, seconds)
            pool = state().engine.pool
            metrics.pool_use(pool.checkedout(), pool.size())  # type: ignore[attr-defined]
        return response


def _allowed() -> bool:
    token = state().settings.metrics_token
    sent = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    direct = not any(request.headers.get(h) for h in PROXY_HEADERS)
    return direct and request.remote_addr in LOOPBACK


@bp.get("/metrics")
def scrape() -> Response:
    """All metrics (added up over gunicorn workers); 403 unless allowed."""
    if not _allowed():
        raise Forbidden("Die Messwerte sind nicht öffentlich (Token oder lokaler Zugriff nötig).")
    pool = state().engine.pool
    metrics.pool_use(pool.checkedout(), pool.size())  # type: ignore[attr-defined]
    with state().engine.connect() as conn:
        metrics.outbox_waiting(outbox.waiting(conn))
    response = Response(metrics.exposition(), content_type=metrics.CONTENT_TYPE)
    response.headers["Cache-Control"] = "no-store"
    return response
