"""Flask wiring: app state, error handlers, request logging and the blueprints of each area."""

from __future__ import annotations

import importlib
import logging
import secrets
import time
from dataclasses import dataclass

from flask import Flask, current_app, g, request
from flask.typing import ResponseReturnValue
from sqlalchemy import Engine

from buergergis.db.engine import make_engine
from buergergis.settings import Settings

log = logging.getLogger("buergergis.request")

#: Blueprint modules in registration order; each exposes ``bp`` (and optionally ``init_app``).
BLUEPRINTS = (
    "buergergis.web.health",
    "buergergis.web.metrics",
    "buergergis.web.static",
    "buergergis.web.ogc",
    "buergergis.web.tiles",
    "buergergis.web.styles",
    "buergergis.web.wms",
    "buergergis.web.csw",
    "buergergis.web.extern",
    "buergergis.web.maps",
    "buergergis.web.share",
    "buergergis.web.printing",
    "buergergis.web.subscriptions",
    "buergergis.web.services",
    "buergergis.web.anfragen",
    "buergergis.admin.views",
    "buergergis.admin.dienste",
)


@dataclass(frozen=True)
class AppState:
    """What every request needs: settings and the engine."""

    settings: Settings
    engine: Engine


def state() -> AppState:
    """The state of the current app."""
    result: AppState = current_app.extensions["buergergis"]
    return result


def init_app(app: Flask, settings: Settings) -> None:
    """Attach settings/engine, errors, logging and every available blueprint."""
    from buergergis.web.caching import init_http
    from buergergis.web.errors import register_error_handlers
    from buergergis.web.guard import init_guard

    app.config["SECRET_KEY"] = settings.secret_key or _secret_key(settings)
    app.config["MAX_CONTENT_LENGTH"] = settings.upload_max_mb * 1024 * 1024
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["buergergis"] = AppState(settings, make_engine(settings))
    register_error_handlers(app)
    init_guard(app)
    init_http(app)
    _request_logging(app)
    for name in BLUEPRINTS:
        _register(app, name)
    if settings.replica_url:  # outermost, so the tile fast path is routed too
        from buergergis.db.replica import ReplicaRouting

        app.wsgi_app = ReplicaRouting(app.wsgi_app, settings.primary_after_write_s)  # type: ignore[method-assign]


def _register(app: Flask, module_name: str) -> None:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if not exc.name or not module_name.startswith(exc.name):
            raise
        return
    if hasattr(module, "init_app"):
        module.init_app(app)
    app.register_blueprint(module.bp)


def _secret_key(settings: Settings) -> str:
    if settings.shared_dir is not None:  # several hosts: each would generate its own key
        from buergergis.errors import ClusterError

        raise ClusterError(
            "BUERGERGIS_SHARED_DIR ist gesetzt (mehrere App-Rechner), BUERGERGIS_SECRET_KEY "
            "aber nicht: jeder Rechner erzeugte einen eigenen Schlüssel und verwürfe die "
            "Anmeldungen der anderen. Bitte auf allen Rechnern denselben Schlüssel setzen, "
            "z. B. aus `python3 -c 'import secrets; print(secrets.token_hex(32))'`."
        )
    path = settings.var / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _request_logging(app: Flask) -> None:
    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _log(response: ResponseReturnValue) -> ResponseReturnValue:
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        if log.isEnabledFor(logging.DEBUG) or getattr(response, "status_code", 200) >= 500:
            log.info(
                "%s %s %s %.1fms",
                request.method,
                request.full_path,
                getattr(response, "status_code", "-"),
                elapsed,
            )
        return response
