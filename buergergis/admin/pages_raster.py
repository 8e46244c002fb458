"""The Upload-Doktor page of a GeoTIFF: facts, preview image, publish and replace forms."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask.typing import ResponseReturnValue

from buergergis.admin.doctor import PreviewOptions
from buergergis.admin.doctor_raster import COLORMAPS, MODES, RasterPreview, build_raster_preview
from buergergis.admin.forms import ConfirmForm, PublishForm, ReplaceForm
from buergergis.admin.uploads import Upload
from buergergis.catalog.models import slugify
from buergergis.errors import BuergerGISError
from buergergis.store.catalog import list_layers
from buergergis.web import state


def raster_targets() -> dict[str, str]:
    """Raster layers managed in the staff area (their image can be replaced)."""
    with state().engine.connect() as conn:
        layers = list_layers(conn, include_private=True)
    return {
        r.id: f"{r.definition.title} ({r.id})"
        for r in layers
        if r.kind == "raster" and r.origin != "yaml"
    }


def raster_page(
    upload: Upload,
    args: Any,
    publish: PublishForm | None = None,
    error: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    """Render the raster doctor; a refused file is explained on the page."""
    options, preview = PreviewOptions(), None
    try:
        options = PreviewOptions.from_mapping(args)
        preview = build_raster_preview(upload, options)
    except BuergerGISError as exc:
        error, status = error or exc.description, max(exc.status, 400)
    form = publish or _publish_form(upload, options, preview)
    replace = ReplaceForm(formdata=None)
    replace.target.choices = {"": "– bitte Layer wählen –", **raster_targets()}
    replace.target.data = ""
    for each in (form, replace):
        each.dataset.data = options.dataset or (preview.dataset.key if preview else "")
        each.crs.data = options.crs or ""
    html = render_template(
        "admin/doctor_raster.html",
        upload=upload,
        options=options,
        preview=preview,
        publish=form,
        replace=replace,
        modes=MODES,
        colormaps=COLORMAPS,
        chosen=args,
        confirm=ConfirmForm(),
        error=error,
    )
    return html, status if error is None else max(status, 400)


def _publish_form(
    upload: Upload, options: PreviewOptions, preview: RasterPreview | None
) -> PublishForm:
    form = PublishForm(formdata=None)
    stem = upload.filename.rsplit(".", 1)[0]
    form.id.data, form.title.data = slugify(stem), stem
    return form


def raster_confirm_lines(title: str, preview: RasterPreview) -> list[str]:
    """What replacing a raster's image changes."""
    return [
        f"Das Bild von {title} wird durch {preview.dataset.label} ersetzt "
        f"({preview.width} × {preview.height} Pixel, {preview.bands} Kanal/Kanäle, "
        f"KBS {preview.crs}).",
        "Titel und Darstellung bleiben; das bisherige Bild bleibt als Version erhalten und "
        "kann zurückgeholt werden.",
    ]
