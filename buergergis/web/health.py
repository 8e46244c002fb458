"""``/healthz`` (process alive) and ``/readyz`` (database reachable and layers loaded)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from buergergis.web import state

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: the process answers."""
    response = jsonify({"status": "ok"})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Readiness: the database answers and at least one layer is live; otherwise 503 with a reason."""
    try:
        with state().engine.connect() as conn:
            loaded = conn.execute(
                text("SELECT count(*) FROM buergergis.layer WHERE version > 0")
            ).scalar_one()
    except SQLAlchemyError:
        return _not_ready("Datenbank nicht erreichbar")
    if not loaded:
        return _not_ready("Noch keine Layer geladen")
    response = jsonify({"status": "ready", "layers": loaded})
    response.headers["Cache-Control"] = "no-store"
    return response, 200


def _not_ready(reason: str) -> tuple[Response, int]:
    response = jsonify({"status": "unavailable", "code": "NotReady", "description": reason})
    response.headers["Cache-Control"] = "no-store"
    return response, 503
