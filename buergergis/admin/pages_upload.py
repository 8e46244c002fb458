"""HTML pages of an upload: the upload form, the Upload-Doktor, publish, replace, discard."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from buergergis.admin.blueprint import bp, settings, staff, upload_of
from buergergis.admin.doctor import Preview, PreviewOptions, build_preview, csv_columns
from buergergis.admin.doctor_raster import build_raster_preview
from buergergis.admin.forms import (
    ConfirmForm,
    PublishForm,
    ReplaceForm,
    UploadForm,
    encoding_choices,
    form_errors,
)
from buergergis.admin.pages_raster import raster_confirm_lines, raster_page, raster_targets
from buergergis.admin.publish_raster import is_raster, publish_any, replace_any
from buergergis.admin.uploads import Upload, discard, stage
from buergergis.catalog.models import slugify
from buergergis.errors import BuergerGISError, InvalidParameter
from buergergis.store.catalog import list_layers
from buergergis.web import state


@bp.route("/upload", methods=["GET", "POST"])
def upload_form() -> ResponseReturnValue:
    """Upload a file; refused files are explained on the same page."""
    form, error, status = UploadForm(), None, 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                data = form.file.data
                upload = stage(settings(), data.stream, data.filename, staff().name)
                return redirect(url_for("admin.upload_view", upload_id=upload.id))
            except BuergerGISError as exc:
                error, status = exc.description, exc.status
        else:
            error = "; ".join(sum(form.errors.values(), []))
    max_mb = settings().upload_max_mb
    return render_template("admin/upload.html", form=form, error=error, max_mb=max_mb), status


@bp.get("/uploads/<upload_id>")
def upload_view(upload_id: str) -> ResponseReturnValue:
    """The Upload-Doktor: preview, checks, and the publish and replace forms."""
    upload = upload_of(upload_id)
    if _raster_chosen(upload, request.args):
        return raster_page(upload, request.args)
    context = doctor_context(upload, request.args)
    return render_template("admin/doctor.html", **context), context["status"]


def _raster_chosen(upload: Upload, args: Any) -> bool:
    try:
        return is_raster(upload, PreviewOptions.from_mapping(args))
    except BuergerGISError:
        return False


def doctor_context(
    upload: Upload,
    args: Any,
    publish: PublishForm | None = None,
    replace: ReplaceForm | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    """Everything the doctor page shows; errors become a message on the page, not a 500."""
    status, preview, options = 200, None, PreviewOptions()
    try:
        options = PreviewOptions.from_mapping(args)
        choose = len(upload.datasets) > 1 and not options.dataset
        if not choose:
            preview = build_preview(settings(), state().engine, upload, options)
    except BuergerGISError as exc:
        error, status = error or exc.description, exc.status
    dataset = preview.dataset if preview else _chosen(upload, options)
    columns = (
        csv_columns(upload, dataset, options.encoding)
        if dataset and dataset.format == "csv"
        else []
    )
    return {
        "upload": upload,
        "options": options,
        "dataset": dataset,
        "preview": preview,
        "columns": columns,
        "error": error,
        "status": status if error is None or status != 200 else 400,
        "encodings": encoding_choices(),
        "publish": _with_choices(publish, preview)
        if publish
        else _publish_form(upload, options, preview),
        "replace": replace or _replace_form(options),
        "targets": replaceable_layers(),
        "confirm": ConfirmForm(),
        "basemap": settings().basemap_url,
        "basemap_attribution": settings().basemap_attribution,
    }


def _chosen(upload: Upload, options: PreviewOptions) -> Any:
    try:
        return upload.dataset(options.dataset)
    except BuergerGISError:
        return None


def _options_into(
    form: PublishForm | ReplaceForm, options: PreviewOptions, preview: Preview | None
) -> None:
    form.dataset.data = options.dataset or (preview.dataset.key if preview else "")
    form.encoding.data = options.encoding or ""
    form.crs.data = options.crs or (preview.crs.used or "" if preview else "")
    form.x.data, form.y.data = options.x or "", options.y or ""


def _publish_form(upload: Upload, options: PreviewOptions, preview: Preview | None) -> PublishForm:
    form = PublishForm(formdata=None)
    form.id.data = slugify(upload.filename.rsplit(".", 1)[0])
    form.title.data = upload.filename.rsplit(".", 1)[0]
    _options_into(form, options, preview)
    attrs = preview.attributes if preview else []
    _set_choices(form, attrs)
    form.popup.data = [a["name"] for a in attrs[:5]]
    return form


def _with_choices(form: PublishForm, preview: Preview | None) -> PublishForm:
    """After a failed submit: offer all attributes again, keep what was chosen."""
    if preview is not None:
        _set_choices(form, preview.attributes)
    return form


def _set_choices(form: PublishForm, attrs: list[dict[str, str]]) -> None:
    form.popup.choices = {a["name"]: a["title"] for a in attrs}
    form.id_column.choices = {"": "Zeilennummer", **{a["source"]: a["source"] for a in attrs}}


def replaceable_layers() -> dict[str, str]:
    """Layers whose data may be replaced by an upload: all not from layers/*.yaml."""
    with state().engine.connect() as conn:
        layers = list_layers(conn, include_private=True)
    return {r.id: f"{r.definition.title} ({r.id})" for r in layers if r.origin != "yaml"}


def replace_choices() -> dict[str, str]:
    """The layer choices of "Daten ersetzen", starting with an empty one (no preselection)."""
    return {"": "– bitte Layer wählen –", **replaceable_layers()}


def _replace_form(options: PreviewOptions) -> ReplaceForm:
    form = ReplaceForm(formdata=None)
    form.target.choices = replace_choices()
    form.target.data = options.target or ""
    _options_into(form, options, None)
    form.crs.data = options.crs or ""
    return form


@bp.post("/uploads/<upload_id>/publish")
def upload_publish(upload_id: str) -> ResponseReturnValue:
    """Publish the previewed dataset as a new layer."""
    upload = upload_of(upload_id)
    form = PublishForm()
    try:
        if not form.validate():
            raise _form_error(form)
        options = PreviewOptions.from_mapping(request.form)
        result = publish_any(
            settings(),
            state().engine,
            upload,
            options,
            form.meta_data(),
            request.form,
            staff().name,
        )
    except BuergerGISError as exc:
        if _raster_chosen(upload, request.form):
            return raster_page(upload, request.form, form, exc.description, exc.status)
        context = doctor_context(upload, request.form, publish=form, error=exc.description)
        return render_template("admin/doctor.html", **context), max(exc.status, 400)
    flash(f"Layer veröffentlicht (Version {result.version}).", "success")
    return redirect(url_for("admin.layer_view", layer_id=result.layer_id))


@bp.post("/uploads/<upload_id>/replace")
def upload_replace(upload_id: str) -> ResponseReturnValue:
    """Replace the data of an existing layer — after a confirmation that says what changes."""
    upload = upload_of(upload_id)
    form = ReplaceForm()
    form.target.choices = replace_choices()
    try:
        if not form.validate():
            raise _form_error(form)
        options = PreviewOptions.from_mapping({**request.form, "target": form.target.data})
        if request.form.get("confirmed") != "1":
            return _confirm_replace(upload, options)
        result = replace_any(
            settings(), state().engine, upload, options, form.target.data, staff().name
        )
    except BuergerGISError as exc:
        if _raster_chosen(upload, request.form):
            return raster_page(upload, request.form, None, exc.description, exc.status)
        context = doctor_context(upload, request.form, replace=None, error=exc.description)
        return render_template("admin/doctor.html", **context), max(exc.status, 400)
    flash(f"Daten ersetzt ({result.counts['written']} Objekte).", "success")
    return redirect(url_for("admin.layer_view", layer_id=result.layer_id))


def _confirm_replace(upload: Upload, options: PreviewOptions) -> ResponseReturnValue:
    """The confirmation page: "8 Objekte ersetzen 12", what is new, removed, changed."""
    if is_raster(upload, options):
        return _confirm_raster(upload, options)
    preview = build_preview(settings(), state().engine, upload, options)
    diff = preview.diff
    assert diff is not None
    title = replaceable_layers().get(diff.layer_id, diff.layer_id)
    lines = [
        f"{diff.new_count} Objekte ersetzen {diff.live_count} Objekte von {title}.",
        f"{diff.added} neu, {diff.removed} entfernt, {diff.changed} geändert, "
        f"{diff.unchanged} unverändert. Titel, Beschriftungen und Darstellung bleiben; die "
        "bisherige Version bleibt erhalten und kann zurückgeholt werden.",
    ]
    hidden = {k: v for k, v in options.query().items()} | {"confirmed": "1"}
    return render_template(
        "admin/confirm.html",
        heading="Daten wirklich ersetzen?",
        lines=lines,
        d=diff,
        action=url_for("admin.upload_replace", upload_id=upload.id),
        button=f"{diff.new_count} Objekte ersetzen {diff.live_count}",
        danger=False,
        back=url_for("admin.upload_view", upload_id=upload.id) + "?" + urlencode(options.query()),
        confirm=ConfirmForm(),
        hidden=hidden,
    )


def _confirm_raster(upload: Upload, options: PreviewOptions) -> ResponseReturnValue:
    preview = build_raster_preview(upload, options)
    target = options.target or ""
    title = raster_targets().get(target)
    if title is None:
        raise InvalidParameter("Bitte einen Rasterlayer wählen, dessen Bild ersetzt werden soll.")
    return render_template(
        "admin/confirm.html",
        heading="Bild wirklich ersetzen?",
        lines=raster_confirm_lines(title, preview),
        action=url_for("admin.upload_replace", upload_id=upload.id),
        button="Bild ersetzen",
        danger=False,
        back=url_for("admin.upload_view", upload_id=upload.id),
        confirm=ConfirmForm(),
        hidden=dict(options.query()) | {"confirmed": "1"},
    )


def _form_error(form: Any) -> BuergerGISError:
    messages = [f"{label}: {'; '.join(errs)}" for label, errs in form_errors(form).items()]
    return InvalidParameter("Bitte prüfen – " + " · ".join(messages))


@bp.post("/uploads/<upload_id>/discard")
def upload_discard(upload_id: str) -> ResponseReturnValue:
    """Throw an upload away."""
    discard(upload_of(upload_id))
    flash("Upload verworfen.", "info")
    return redirect(url_for("admin.index"))
