"""JSON API of the staff area under ``/admin/api`` (``Authorization: Bearer <token>``).

Uploads: ``POST /uploads`` (multipart field ``file``) → ``GET /uploads/{id}/preview`` →
``POST /uploads/{id}/publish`` or ``/replace``. Layers: list, detail with versions,
``POST /layers/{id}/rollback``, ``GET /layers/{id}/export``. Admins: ``/audit``, ``/accounts``.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request, url_for
from flask.typing import ResponseReturnValue

from buergergis.admin.api_layers import layer_state
from buergergis.admin.blueprint import admin_only, bp, settings, staff, upload_of
from buergergis.admin.doctor import PreviewOptions, build_preview
from buergergis.admin.doctor_raster import build_raster_preview
from buergergis.admin.forms import PublishForm, ReplaceForm, api_form, form_errors
from buergergis.admin.pages import layer_record
from buergergis.admin.publish import export_yaml, rollback_layer
from buergergis.admin.publish_raster import is_raster, publish_any, replace_any
from buergergis.admin.uploads import Upload, discard, stage
from buergergis.errors import InvalidParameter
from buergergis.store import audit, users
from buergergis.store.catalog import LayerRecord, list_layers
from buergergis.values import parse_int
from buergergis.web import state


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if data is None and request.form:
        data = {k: v if len(v) > 1 else v[0] for k, v in request.form.lists()}
    if not isinstance(data, dict):
        raise InvalidParameter("Bitte ein JSON-Objekt senden.")
    return data


def _upload_body(upload: Upload) -> dict[str, Any]:
    links = {
        "self": url_for("admin.api_upload", upload_id=upload.id),
        "preview": url_for("admin.api_preview", upload_id=upload.id),
        "publish": url_for("admin.api_publish", upload_id=upload.id),
        "replace": url_for("admin.api_replace", upload_id=upload.id),
        "page": url_for("admin.upload_view", upload_id=upload.id),
    }
    return upload.to_dict() | {"links": links}


@bp.get("/api/me")
def api_me() -> Response:
    """Who the token belongs to."""
    return jsonify({"name": staff().name, "role": staff().role})


@bp.post("/api/uploads")
def api_upload_create() -> ResponseReturnValue:
    """Stage an upload (multipart field ``file``)."""
    file = request.files.get("file")
    if file is None or not file.filename:
        raise InvalidParameter("Bitte die Datei im Multipart-Feld 'file' senden.")
    upload = stage(settings(), file.stream, file.filename, staff().name)
    return jsonify(_upload_body(upload)), 201


@bp.get("/api/uploads/<upload_id>")
def api_upload(upload_id: str) -> Response:
    """A staged upload and its datasets."""
    return jsonify(_upload_body(upload_of(upload_id)))


@bp.delete("/api/uploads/<upload_id>")
def api_upload_delete(upload_id: str) -> ResponseReturnValue:
    """Discard a staged upload."""
    discard(upload_of(upload_id))
    return "", 204


@bp.get("/api/uploads/<upload_id>/preview")
def api_preview(upload_id: str) -> Response:
    """The Upload-Doktor as JSON (``dataset``, ``encoding``, ``crs``, ``x``, ``y``, ``target``)."""
    upload, options = upload_of(upload_id), PreviewOptions.from_mapping(request.args)
    if is_raster(upload, options):
        return jsonify(build_raster_preview(upload, options).to_dict())
    preview = build_preview(settings(), state().engine, upload, options)
    return jsonify(preview.to_dict() | {"features": preview.geojson})


@bp.post("/api/uploads/<upload_id>/publish")
def api_publish(upload_id: str) -> ResponseReturnValue:
    """Publish as a new layer: the preview options plus ``id``, ``title`` and metadata."""
    upload, data = upload_of(upload_id), _body()
    data.setdefault("public", True)
    form = api_form(PublishForm, data)
    assert isinstance(form, PublishForm)
    if not form.validate():
        raise InvalidParameter("Ungültige Angaben.", details={"fields": form_errors(form)})
    options = PreviewOptions.from_mapping(data)
    result = publish_any(
        settings(), state().engine, upload, options, form.meta_data(), data, staff().name
    )
    return jsonify(result.to_dict()), 201


@bp.post("/api/uploads/<upload_id>/replace")
def api_replace(upload_id: str) -> ResponseReturnValue:
    """Replace the data of layer ``target`` (also accepted as ``layer``)."""
    upload, data = upload_of(upload_id), _body()
    data.setdefault("target", data.get("layer"))
    form = api_form(ReplaceForm, data)
    assert isinstance(form, ReplaceForm)
    if not form.validate():
        raise InvalidParameter("Ungültige Angaben.", details={"fields": form_errors(form)})
    options = PreviewOptions.from_mapping(data)
    result = replace_any(
        settings(), state().engine, upload, options, form.target.data, staff().name
    )
    return jsonify(result.to_dict()), 200


def _layer_summary(record: LayerRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "title": record.definition.title,
        "kind": record.kind,
        "origin": record.origin,
        "managed_by": "file" if record.origin == "yaml" else "staff",
        "public": record.public,
        "version": record.version,
        "feature_count": record.feature_count,
        "geometry_type": record.geometry_type,
        "loaded_at": record.loaded_at.isoformat() if record.loaded_at else None,
    }


@bp.get("/api/layers")
def api_layers() -> Response:
    """All layers, also private and not yet loaded ones."""
    with state().engine.connect() as conn:
        layers = list_layers(conn, include_private=True, loaded_only=False)
    return jsonify({"layers": [_layer_summary(r) for r in layers]})


@bp.get("/api/layers/<layer_id>")
def api_layer(layer_id: str) -> Response:
    """One layer with its definition and versions."""
    return jsonify(layer_state(layer_record(layer_id)))


@bp.post("/api/layers/<layer_id>/rollback")
def api_rollback(layer_id: str) -> Response:
    """Make kept version ``version`` live again (as a new version)."""
    version = _body().get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise InvalidParameter("Bitte 'version' als ganze Zahl angeben.")
    result = rollback_layer(settings(), state().engine, layer_id, version, staff().name)
    return jsonify(result.to_dict())


@bp.get("/api/layers/<layer_id>/export")
def api_export(layer_id: str) -> Response:
    """The layer's definition as YAML."""
    return Response(export_yaml(settings(), layer_record(layer_id)), mimetype="application/yaml")


@bp.get("/api/audit")
@admin_only
def api_audit() -> Response:
    """Audit log, newest first (``layer``, ``before``, ``limit`` ≤ 1000)."""
    limit = parse_int(request.args.get("limit"), "limit", default=200, low=1, high=1000) or 200
    with state().engine.connect() as conn:
        entries = audit.entries(
            conn,
            layer_id=request.args.get("layer") or None,
            limit=limit,
            before=parse_int(request.args.get("before"), "before", low=1),
        )
    return jsonify({"entries": [e.to_dict() for e in entries]})


@bp.get("/api/accounts")
@admin_only
def api_accounts() -> Response:
    """All accounts (admins)."""
    with state().engine.connect() as conn:
        listed = users.list_accounts(conn)
    return jsonify(
        {"accounts": [{"name": a.name, "role": a.role, "active": a.active} for a in listed]}
    )
