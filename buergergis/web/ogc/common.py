"""Shared pieces of the ``/ogc`` views: layer lookup (404) and cached responses."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from flask import Response, current_app
from sqlalchemy import Connection

from buergergis.errors import NotFound
from buergergis.store.catalog import LayerRecord, list_layers, require_layer
from buergergis.store.featuredb import FeatureDatabase
from buergergis.web import state
from buergergis.web.caching import conditional, make_etag, request_key
from buergergis.web.ogc.negotiation import MEDIA_TYPES


def feature_db() -> FeatureDatabase:
    """The per-thread feature connections of this app."""
    db: FeatureDatabase = current_app.extensions["buergergis.ogc"]
    return db


def current_layer(collection_id: str) -> LayerRecord:
    """The layer at its current version via the feature connections (404 if not public)."""
    layer = feature_db().layer(collection_id)
    if layer is None:
        raise NotFound(f"Den Datensatz '{collection_id}' gibt es nicht.")
    return layer


def vector_layer(conn: Connection, collection_id: str) -> LayerRecord:
    """A public, loaded vector layer; anything else does not exist (404)."""
    return require_layer(conn, collection_id, vector=True)


def public_vector_layers(conn: Connection) -> list[LayerRecord]:
    """All public, loaded vector layers (the collections)."""
    return [layer for layer in list_layers(conn) if layer.kind == "vector"]


def etag_for(layers: Iterable[LayerRecord], *parts: object) -> str:
    """The validator of a response that depends on these layers and the request."""
    return make_etag([(layer.id, layer.version) for layer in layers], request_key(), *parts)


def newest(layers: Iterable[LayerRecord]) -> datetime | None:
    """The latest ``loaded_at`` (for Last-Modified)."""
    stamps = [layer.loaded_at for layer in layers if layer.loaded_at]
    return max(stamps) if stamps else None


def cached(
    layers: list[LayerRecord],
    build: Callable[[], Response],
    *parts: object,
    last_modified: datetime | None = None,
) -> Response:
    """304 if fresh, else ``build()`` with ETag, Last-Modified and Cache-Control."""
    etag = etag_for(layers, *parts)
    stamp = last_modified or newest(layers)
    return conditional(etag, state().settings.cache_control, build, last_modified=stamp)


def json_response(body: Any, media: str = "json", status: int = 200) -> Response:
    """Serialise ``body`` (or send bytes as they are) with the media type of ``media``."""
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False)
    return Response(data, status=status, mimetype=MEDIA_TYPES.get(media, media))
