"""BürgerGIS – the geodata service of the city of Hameln.

``create_app`` is the only place the Flask application is assembled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["create_app"]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings → engine → error handlers → blueprints.

    ``config`` overrides settings fields (tests pass e.g. ``{"database_url": ...}``).
    """
    from flask import Flask

    from buergergis.settings import load_settings
    from buergergis.web import init_app

    settings = load_settings(**(config or {}))
    app = Flask(__name__, static_folder=None)
    init_app(app, settings)
    return app
