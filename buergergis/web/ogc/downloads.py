"""``/ogc/collections/{id}/download/{format}``: whole layers as Open Data files.

GeoJSON and CSV stream from the database; GeoPackage and zipped Shapefile are built once
per layer version into ``var/cache/downloads`` and sent from disk, with HTTP range requests
(``Accept-Ranges: bytes``, 206, 416), so GDAL reads them in place
(``/vsicurl/…/download/gpkg``, ``/vsizip/vsicurl/…/download/shp.zip``). The zipped
Shapefile's URL ends in ``.zip``; the older ``…/download/shp`` redirects there. Every
download names its licence and attribution (``Link: rel="license"`` header, GeoJSON
members, GeoPackage metadata, ``LIZENZ.txt`` in the ZIP; the collection metadata lists both
for CSV).
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, redirect, request, send_file

from buergergis.errors import NotFound
from buergergis.store.catalog import LayerRecord
from buergergis.store.exports import FORMATS, Format, csv_chunks, export_file, geojson_chunks
from buergergis.web import state
from buergergis.web.ogc import bp
from buergergis.web.ogc.common import cached, vector_layer
from buergergis.web.ogc.links import licence_url, url
from buergergis.web.ogc.params import check_known

_BY_SEGMENT = {fmt.segment: fmt for fmt in FORMATS.values()}
#: Old URL segments that redirect to the current one.
_MOVED = {fmt.key: fmt.segment for fmt in FORMATS.values() if fmt.segment != fmt.key}


@bp.get("/collections/<collection_id>/download/<key>")
def download(collection_id: str, key: str) -> Response:
    """The whole layer as ``geojson``, ``gpkg``, ``csv`` or ``shp.zip`` (``shp`` redirects)."""
    check_known(frozenset())
    if key in _MOVED:
        target = url(f"/collections/{collection_id}/download/{_MOVED[key]}")
        return redirect(target, 301)  # type: ignore[return-value]
    fmt = _BY_SEGMENT.get(key)
    if fmt is None:
        raise NotFound(f"Format '{key}' gibt es nicht. Möglich: {', '.join(_BY_SEGMENT)}")
    engine = state().engine
    with engine.connect() as conn:
        layer = vector_layer(conn, collection_id)

    def build() -> Response:
        response = _body(layer, fmt)
        _name(response, layer, fmt)
        if response.direct_passthrough:  # a file: ranges, so that GDAL can read it in place
            response.make_conditional(
                request, accept_ranges=True, complete_length=_length(response)
            )
        else:
            response.headers["Accept-Ranges"] = "none"
        return response

    return cached([layer], build, "download", fmt.key, last_modified=layer.loaded_at)


def _body(layer: LayerRecord, fmt: Format) -> Response:
    engine = state().engine
    if fmt.key == "geojson":
        return Response(geojson_chunks(engine, layer), mimetype=fmt.media_type)
    if fmt.key == "csv":
        return Response(csv_chunks(engine, layer), content_type=fmt.media_type)
    path = export_file(engine, layer, fmt.key, state().settings.var / "cache" / "downloads")
    return send_file(path, mimetype=fmt.media_type, conditional=False, etag=False)


def _length(response: Response) -> int | None:
    value = response.headers.get("Content-Length")
    return int(value) if value is not None else None


def _name(response: Response, layer: LayerRecord, fmt: Format) -> None:
    filename = f"{layer.id}.{fmt.extension}"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"
    )
    licence = licence_url(layer.definition.license)
    if licence:
        response.headers["Link"] = f'<{licence}>; rel="license"'
