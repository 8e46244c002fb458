"""``/tiles/…`` (XYZ tiles, TileJSON) and OGC API – Tiles (``/ogc/collections/{id}/tiles…``,
``/ogc/tileMatrixSets…``).

Every tile view reads the same way: parse the URL into a :class:`TileSpec` → resolve the
layers (current versions, 404 when hidden) → 304 if the client's ETag names the same versions
→ tile from the versioned cache (or rendered) → response with validators. Cache hits of
public XYZ tiles are answered before Flask by :mod:`buergergis.web.tiles_fast`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, redirect, request, url_for

from buergergis.errors import NotAcceptable, NotFound
from buergergis.store.catalog import LayerRecord
from buergergis.tiles import metadata
from buergergis.tiles.grid import TMS_ID
from buergergis.tiles.openapi import openapi_paths
from buergergis.tiles.provider import (
    TileProvider,
    TileSpec,
    parse_layer_list,
    parse_versioned_key,
    versioned_key,
    versions_of,
)
from buergergis.web import state
from buergergis.web.caching import conditional, make_etag
from buergergis.web.tiles_fast import IMMUTABLE as IMMUTABLE_CACHE_CONTROL
from buergergis.web.tiles_fast import CachedTiles, tile_response

bp = Blueprint("tiles", __name__)
#: Cache-Control of anything that shows private layers (staff only; never shared caches).
PRIVATE_CACHE_CONTROL = "private, no-cache"

_FORMATS_BY_ACCEPT = {
    "application/vnd.mapbox-vector-tile": "mvt",
    "image/png": "png",
    "image/webp": "webp",
}


def init_app(app: Flask) -> None:
    """One tile service per app; declare OGC API – Tiles in the OGC area's registry."""
    app_state = app.extensions["buergergis"]
    service = TileProvider(app_state.engine, app_state.settings)
    app.extensions["buergergis.tiles"] = service
    app.wsgi_app = CachedTiles(  # type: ignore[method-assign]
        app.wsgi_app, service, app_state.settings.tile_cache_control, app.url_map
    )
    register_ogc()


def register_ogc() -> None:
    """Conformance classes, collection/landing links and OpenAPI paths for ``/ogc``."""
    try:
        from buergergis.web.ogc import conformance
    except ModuleNotFoundError:  # the OGC area is optional
        return
    for uri in metadata.CONFORMANCE:
        if uri not in conformance.CONFORMANCE:
            conformance.CONFORMANCE.append(uri)
    for registry, provider in (
        (conformance.COLLECTION_LINK_PROVIDERS, _ogc_collection_links),
        (conformance.LANDING_LINK_PROVIDERS, _ogc_landing_links),
        (conformance.OPENAPI_PATH_PROVIDERS, openapi_paths),
    ):
        if provider not in registry:
            registry.append(provider)  # type: ignore[arg-type]


def _ogc_collection_links(layer: LayerRecord, ogc_base: str) -> list[dict[str, Any]]:
    if not layer.loaded:
        return []
    return metadata.collection_links(layer, ogc_base.removesuffix("/ogc"))


def _ogc_landing_links(ogc_base: str) -> list[dict[str, Any]]:
    return metadata.landing_links(ogc_base.removesuffix("/ogc"))


def tile_service() -> TileProvider:
    """The app's tile service."""
    service: TileProvider = current_app.extensions["buergergis.tiles"]
    return service


def base_url() -> str:
    """Absolute URL of the app root as the client sees it (no trailing slash)."""
    return request.url_root.rstrip("/")


def may_see_private() -> bool:
    """Signed-in staff may see private layers (only asked for non-public layers)."""
    if getattr(current_app, "login_manager", None) is None:
        return False
    from flask_login import current_user

    return bool(current_user.is_authenticated)


@bp.get("/tiles/<layers>/<int:z>/<int:x>/<name>")
def xyz_tile(layers: str, z: int, x: int, name: str) -> Response:
    """A vector (``.mvt``) or raster (``.png``, ``.webp``, ``@2x``) tile."""
    return _serve(TileSpec.parse(layers, z, x, name))


@bp.get("/tiles/v/<key>/<int:z>/<int:x>/<name>")
def versioned_tile(key: str, z: int, x: int, name: str) -> Response:
    """A public tile at fixed layer versions (``/tiles/v/parks@17/…`` from TileJSON).

    Immutable: nginx answers cached ones from the tile cache itself (deploy/nginx). A version
    that is no longer current is redirected to the tile's current URL.
    """
    ids, versions = parse_versioned_key(key)
    spec = TileSpec.parse(",".join(ids), z, x, name)
    service = tile_service()
    records, _public = service.resolve(spec.layer_ids)  # private layers: 404
    if tuple(r.version for r in records) != versions:
        layers = ",".join(ids)
        target = url_for("tiles.xyz_tile", layers=layers, z=z, x=x, name=name)
        response = redirect(target, 302)
        response.headers["Cache-Control"] = "no-cache"
        return response  # type: ignore[return-value]
    etag = make_etag(versions_of(records), spec)
    return conditional(
        etag, IMMUTABLE_CACHE_CONTROL, lambda: tile_response(request, service.get(records, spec))
    )


@bp.get("/ogc/collections/<collection_id>/tiles/<tms_id>/<int:tm>/<int:row>/<int:col>")
def ogc_tile(collection_id: str, tms_id: str, tm: int, row: int, col: int) -> Response:
    """OGC API – Tiles tile; format from ``f=`` or ``Accept`` (default mvt / png)."""
    _check_tms(tms_id)
    resolved = tile_service().resolve(parse_layer_list(collection_id), may_see_private)
    spec = TileSpec.parse(
        collection_id, tm, col, f"{row}.{_negotiate(metadata.formats(resolved[0][0]))}"
    )
    if not metadata.within_limits(resolved[0][0], spec.tile):
        raise NotFound("Die Kachel liegt außerhalb der tileMatrixSetLimits dieses Kachelsatzes.")
    return _serve(spec, resolved)


def _serve(spec: TileSpec, resolved: tuple[list[LayerRecord], bool] | None = None) -> Response:
    service = tile_service()
    records, public = resolved or service.resolve(spec.layer_ids, may_see_private)
    cache_control = state().settings.tile_cache_control if public else PRIVATE_CACHE_CONTROL
    etag = make_etag(versions_of(records), spec)
    return conditional(
        etag, cache_control, lambda: tile_response(request, service.get(records, spec))
    )


def _negotiate(offered: list[str]) -> str:
    wanted = request.args.get("f")
    if wanted:
        if wanted not in offered:
            raise NotAcceptable(
                f"Format '{wanted[:20]}' wird nicht angeboten ({', '.join(offered)})."
            )
        return wanted
    by_type = {t: f for t, f in _FORMATS_BY_ACCEPT.items() if f in offered}
    best = request.accept_mimetypes.best_match(list(by_type))
    return by_type.get(best or "", offered[0])


def _check_tms(tms_id: str) -> None:
    if tms_id != TMS_ID:
        raise NotFound(f"Kachelgitter '{tms_id[:60]}' gibt es nicht (nur {TMS_ID}).")


def _json(
    document_of: Callable[[], dict],
    versions: list[tuple[str, int]],
    *parts: object,
    public: bool = True,
) -> Response:
    """JSON metadata with an ETag over the layer versions and the base URL (private layers:
    ``private, no-cache`` like their tiles)."""
    cache_control = state().settings.cache_control if public else PRIVATE_CACHE_CONTROL
    etag = make_etag(versions, base_url(), *parts)
    return conditional(etag, cache_control, lambda: jsonify(document_of()))


@bp.get("/tiles/<layers>.json")
def tilejson(layers: str) -> Response:
    """TileJSON 3.0.0 of one or several vector layers, or of one raster layer."""
    records, public = tile_service().resolve(parse_layer_list(layers), may_see_private)
    if len({r.kind for r in records}) > 1 or (records[0].kind == "raster" and len(records) > 1):
        raise NotFound("TileJSON gibt es für Vektorlayer oder für genau einen Rasterlayer.")
    key = versioned_key(records) if public else None
    document = lambda: metadata.tilejson(records, base_url(), versioned_key=key)  # noqa: E731
    return _json(document, versions_of(records), "tilejson", public=public)


@bp.get("/ogc/collections/<collection_id>/tiles")
def ogc_tilesets(collection_id: str) -> Response:
    """The tilesets of a collection (one: WebMercatorQuad)."""
    records, public = tile_service().resolve(parse_layer_list(collection_id), may_see_private)
    document = lambda: metadata.tilesets(records[0], base_url())  # noqa: E731
    return _json(document, versions_of(records), "sets", public=public)


@bp.get("/ogc/collections/<collection_id>/tiles/<tms_id>")
def ogc_tileset(collection_id: str, tms_id: str) -> Response:
    """Tileset metadata: limits, templated tile links, layers and their properties."""
    _check_tms(tms_id)
    records, public = tile_service().resolve(parse_layer_list(collection_id), may_see_private)
    document = lambda: metadata.tileset(records[0], base_url())  # noqa: E731
    return _json(document, versions_of(records), "set", public=public)


@bp.get("/ogc/tileMatrixSets")
def tile_matrix_sets() -> Response:
    """The tile matrix sets offered."""
    return _json(lambda: metadata.tile_matrix_sets(base_url()), [], "tmslist")


@bp.get("/ogc/tileMatrixSets/<tms_id>")
def tile_matrix_set(tms_id: str) -> Response:
    """The definition of WebMercatorQuad (OGC 2DTMS 2.0)."""
    _check_tms(tms_id)
    return _json(metadata.tile_matrix_set, [], "tms")
