"""``/static/…``: the project's own CSS/JS and the vendored npm packages, long-cached."""

from __future__ import annotations

from flask import Blueprint, Response, send_from_directory

from buergergis.web import state

bp = Blueprint("static_files", __name__)


@bp.get("/static/<path:filename>")
def static_file(filename: str) -> Response:
    """Serve a file below ``<root>/static`` (404 for anything else)."""
    response = send_from_directory(state().settings.root / "static", filename, max_age=86400)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
