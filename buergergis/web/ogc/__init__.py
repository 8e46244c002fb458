"""``/ogc``: OGC API – Features Parts 1–3 (plus sortables and Open Data downloads).

Route modules register on ``bp`` when imported below. Other areas extend the API through
the registries in :mod:`buergergis.web.ogc.conformance`.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("ogc", __name__, url_prefix="/ogc")


def init_app(app: Flask) -> None:
    """The per-thread feature connections (see :mod:`buergergis.store.featuredb`) and the lean
    path of GeoJSON items pages in front of Flask (:mod:`buergergis.web.items_fast`)."""
    from buergergis.store.featuredb import FeatureDatabase
    from buergergis.web.items_fast import init_lean_items

    state = app.extensions["buergergis"]
    settings = state.settings
    app.extensions["buergergis.ogc"] = FeatureDatabase(
        settings.libpq_url(),
        state.engine,
        settings.statement_timeout_ms,
        replica_url=settings.replica_url,
        replica_retry_s=settings.replica_retry_s,
    )
    init_lean_items(app)


from buergergis.web.ogc import (  # noqa: E402,F401  (route modules register on bp)
    collections,
    downloads,
    items,
    landing,
    openapi,
    queryables,
)
