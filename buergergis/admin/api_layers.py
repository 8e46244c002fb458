"""JSON API of managing a published layer (``Authorization: Bearer <token>``).

``PATCH /admin/api/layers/{id}`` (fields: ``admin.manage.META_FIELDS``/``VECTOR_FIELDS``),
``POST …/unpublish`` and ``…/publish``, ``DELETE /admin/api/layers/{id}`` (recycle bin),
``POST …/restore``, ``POST …/purge`` (only from the recycle bin), ``GET /admin/api/trash``.
Every answer is the layer's new state; bad input is a 4xx with a German message.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from buergergis.admin import manage
from buergergis.admin.blueprint import bp, settings, staff
from buergergis.errors import InvalidParameter
from buergergis.store import history, lifecycle
from buergergis.store.catalog import LayerRecord
from buergergis.web import state


def layer_state(record: LayerRecord) -> dict[str, Any]:
    """A layer as the API shows it: summary, definition, versions, who manages it."""
    with state().engine.connect() as conn:
        versions = history.list_versions(conn, record.id)
    live = next((v for v in versions if v.live), None)
    return {
        "id": record.id,
        "title": record.definition.title,
        "kind": record.kind,
        "origin": record.origin,
        "managed_by": "file" if manage.file_managed(record) else "staff",
        "public": record.public,
        "deleted": False,
        "version": record.version,
        "version_number": live.number if live else None,
        "feature_count": record.feature_count,
        "geometry_type": record.geometry_type,
        "loaded_at": record.loaded_at.isoformat() if record.loaded_at else None,
        "definition": record.definition.model_dump(mode="json", exclude_none=True),
        "versions": [v.to_dict() for v in versions],
    }


def _json_object() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidParameter(
            "Bitte ein JSON-Objekt senden (Content-Type: application/json), "
            'z. B. {"title": "Neuer Titel"}.'
        )
    return data


@bp.patch("/api/layers/<layer_id>")
def api_layer_edit(layer_id: str) -> Response:
    """Change title, texts, labels, shown attributes, popup, search, style, zoom range."""
    record = manage.edit_layer(state().engine, layer_id, _json_object(), staff().name)
    return jsonify(layer_state(record))


@bp.post("/api/layers/<layer_id>/unpublish")
def api_layer_unpublish(layer_id: str) -> Response:
    """Make the layer private (only staff see it)."""
    return jsonify(
        layer_state(manage.set_public(state().engine, layer_id, False, staff().name, settings()))
    )


@bp.post("/api/layers/<layer_id>/publish")
def api_layer_publish(layer_id: str) -> Response:
    """Make the layer public again."""
    return jsonify(
        layer_state(manage.set_public(state().engine, layer_id, True, staff().name, settings()))
    )


@bp.delete("/api/layers/<layer_id>")
def api_layer_delete(layer_id: str) -> Response:
    """Move the layer to the recycle bin (restorable for ``deleted_keep_days`` days)."""
    return jsonify(manage.delete_layer(settings(), state().engine, layer_id, staff().name))


@bp.post("/api/layers/<layer_id>/restore")
def api_layer_restore(layer_id: str) -> Response:
    """Take the layer out of the recycle bin, as it was."""
    return jsonify(layer_state(manage.restore_layer(state().engine, layer_id, staff().name)))


@bp.post("/api/layers/<layer_id>/purge")
def api_layer_purge(layer_id: str) -> Response:
    """Delete a layer of the recycle bin for good (with all versions)."""
    manage.purge_layer(settings(), state().engine, layer_id, staff().name)
    return jsonify({"id": layer_id, "deleted": True, "purged": True})


@bp.get("/api/trash")
def api_trash() -> Response:
    """The recycle bin: deleted layers with the time they will be purged."""
    with state().engine.connect() as conn:
        entries = lifecycle.deleted_layers(conn, settings().deleted_keep_days)
    return jsonify({"layers": [e.to_dict() for e in entries]})
