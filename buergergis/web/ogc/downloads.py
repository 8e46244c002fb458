"""``/ogc/collections/{id}/download/{format}``: whole layers as Open Data files.

GeoJSON and CSV stream from the database; GeoPackage and zipped Shapefile are built once
per layer version into ``var/cache/downloads`` and sent from disk. Every download names its
licence and attribution (``Link: rel="license"`` header, GeoJSON members, GeoPackage
metadata, ``LIZENZ.txt`` in the ZIP; the collection metadata lists both for CSV).
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, send_file

from buergergis.errors import NotFound
from buergergis.store.exports import FORMATS, csv_chunks, export_file, geojson_chunks
from buergergis.web import state
from buergergis.web.ogc import bp
from buergergis.web.ogc.common import cached, vector_layer
from buergergis.web.ogc.links import licence_url
from buergergis.web.ogc.params import check_known


@bp.get("/collections/<collection_id>/download/<key>")
def download(collection_id: str, key: str) -> Response:
    """The whole layer in one of the formats ``geojson``, ``gpkg``, ``csv``, ``shp``."""
    check_known(frozenset())
    fmt = FORMATS.get(key)
    if fmt is None:
        raise NotFound(f"Format '{key}' gibt es nicht. Möglich: {', '.join(FORMATS)}")
    engine = state().engine
    with engine.connect() as conn:
        layer = vector_layer(conn, collection_id)

    def build() -> Response:
        if key == "geojson":
            response = Response(geojson_chunks(engine, layer), mimetype=fmt.media_type)
        elif key == "csv":
            response = Response(csv_chunks(engine, layer), content_type=fmt.media_type)
        else:
            path = export_file(engine, layer, key, state().settings.var / "cache" / "downloads")
            response = send_file(path, mimetype=fmt.media_type, conditional=False)
        filename = f"{layer.id}.{fmt.extension}"
        response.headers["Content-Disposition"] = (
            f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"
        )
        licence = licence_url(layer.definition.license)
        if licence:
            response.headers["Link"] = f'<{licence}>; rel="license"'
        return response

    return cached([layer], build, "download", key)
