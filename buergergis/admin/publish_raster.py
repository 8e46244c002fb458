"""Publish and replace raster layers from uploads (GeoTIFF → Cloud-Optimized GeoTIFF).

The same path as vectors: the upload's files are archived under ``var/sources/<layer>/``,
``load_layer`` converts them to a COG with overviews and makes it live in one step; the
previous version stays restorable (``rollback_layer`` copies the kept file). Audited.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from buergergis.admin.doctor import PreviewOptions
from buergergis.admin.doctor_raster import COLORMAPS, MODES, raster_crs_override
from buergergis.admin.manage import managed_record
from buergergis.admin.publish import (
    ChangeResult,
    LayerMeta,
    check_new_id,
    finish_change,
    load_upload,
    publish_upload,
    replace_layer,
)
from buergergis.admin.uploads import Upload, claimed
from buergergis.catalog.models import RasterLayer, RasterOptions, Source
from buergergis.catalog.parse import parse_definition
from buergergis.errors import DefinitionError, InvalidParameter
from buergergis.settings import Settings
from buergergis.store.catalog import LayerRecord


def raster_options(data: Any) -> RasterOptions:
    """``mode``, ``colormap`` and ``opacity`` from a form or JSON body (400 if unknown)."""
    mode = str(data.get("mode") or "colormap")
    colormap = str(data.get("colormap") or "terrain")
    if mode not in MODES:
        raise InvalidParameter(f"Unbekannte Darstellung '{mode}'. Möglich: {', '.join(MODES)}.")
    if colormap not in COLORMAPS:
        raise InvalidParameter(
            f"Unbekannter Farbverlauf '{colormap}'. Möglich: {', '.join(COLORMAPS)}."
        )
    try:
        opacity = float(str(data.get("opacity") or "0.7").replace(",", "."))
        return RasterOptions(mode=mode, colormap=colormap, opacity=opacity)  # type: ignore[arg-type]
    except ValueError:
        raise InvalidParameter("Deckkraft bitte als Zahl zwischen 0 und 1 angeben.") from None


def _source(upload: Upload, options: PreviewOptions) -> Source:
    dataset = upload.dataset(options.dataset)
    if dataset.format != "gtiff":
        raise InvalidParameter("Dieser Datensatz ist kein Raster.")
    crs = raster_crs_override(upload, dataset, options)
    return Source(path=str(upload.path(dataset)), format="gtiff", crs=crs)


def publish_raster(
    settings: Settings,
    engine: Engine,
    upload: Upload,
    options: PreviewOptions,
    meta: LayerMeta,
    raster: RasterOptions,
    actor: str,
) -> ChangeResult:
    """Publish one GeoTIFF of an upload as a new raster layer."""
    check_new_id(settings, engine, meta.id)
    data = {
        "kind": "raster",
        "id": meta.id,
        "title": meta.title,
        "description": meta.description,
        "category": meta.category,
        "public": meta.public,
        "license": meta.license,
        "attribution": meta.attribution,
        "source": _source(upload, options).model_dump(exclude_none=True),
        "raster": raster.model_dump(exclude_none=True),
    }
    try:
        definition = parse_definition(data, "Formular")
    except DefinitionError as exc:
        raise InvalidParameter(exc.description.replace("Value error, ", "")) from None
    with claimed(upload):
        result = load_upload(settings, engine, upload, options, definition, actor, "publish")
    details = {"file": upload.filename, "kind": "raster", "crs": result.report.source_crs}
    return finish_change(engine, upload, actor, "publish", meta.id, result, details)


def replace_raster(
    settings: Settings,
    engine: Engine,
    upload: Upload,
    options: PreviewOptions,
    record: LayerRecord,
    actor: str,
) -> ChangeResult:
    """Replace the image of a raster layer; title and display options stay."""
    base = record.definition
    assert isinstance(base, RasterLayer)
    definition = base.model_copy(update={"source": _source(upload, options)})
    with claimed(upload):
        result = load_upload(settings, engine, upload, options, definition, actor, "replace")
    details = {"file": upload.filename, "previous_version": record.version}
    return finish_change(engine, upload, actor, "replace", record.id, result, details)


def replace_any(
    settings: Settings,
    engine: Engine,
    upload: Upload,
    options: PreviewOptions,
    layer_id: str,
    actor: str,
) -> ChangeResult:
    """Replace a layer's data with the chosen dataset: a raster by a GeoTIFF, a vector by
    vector data (anything else is a 400 with a German message)."""
    record = managed_record(engine, layer_id)
    is_raster = upload.dataset(options.dataset).format == "gtiff"
    if is_raster != (record.kind == "raster"):
        raise InvalidParameter(
            "Ein Rasterlayer lässt sich nur durch ein GeoTIFF ersetzen, ein Vektorlayer nur "
            "durch Vektordaten."
        )
    if is_raster:
        return replace_raster(settings, engine, upload, options, record, actor)
    return replace_layer(settings, engine, upload, options, layer_id, actor)


def is_raster(upload: Upload, options: PreviewOptions) -> bool:
    """Whether the chosen dataset of the upload is a GeoTIFF."""
    return upload.dataset(options.dataset).format == "gtiff"


def publish_any(
    settings: Settings,
    engine: Engine,
    upload: Upload,
    options: PreviewOptions,
    meta: LayerMeta,
    data: Any,
    actor: str,
) -> ChangeResult:
    """Publish the chosen dataset: a GeoTIFF as a raster layer (``mode``, ``colormap``,
    ``opacity`` from ``data``), anything else as a vector layer."""
    if is_raster(upload, options):
        raster = raster_options(data)
        return publish_raster(settings, engine, upload, options, meta, raster, actor)
    return publish_upload(settings, engine, upload, options, meta, actor)
