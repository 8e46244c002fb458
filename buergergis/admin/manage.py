"""Manage a published layer: edit its definition, hide or show it, delete, restore, purge.

Which layers may be changed here: layers published or imported in the staff area
(``origin`` ``upload``/``import``). Layers defined by a file in ``layers/`` (``origin`` ``yaml``)
are managed by that file; the staff area shows them read-only, so reloading a file can
never undo a clerk's edit (and the loader refuses to load a file over a staff-managed layer,
``store.versions.refuse_file_over_staff_layer``). Every change is audited in the same
transaction and needs no reload of data (``store.lifecycle``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from buergergis.catalog.models import CATEGORIES, Attribute, RasterLayer, VectorLayer
from buergergis.catalog.parse import parse_definition
from buergergis.errors import Conflict, DefinitionError, InvalidParameter, NotFound
from buergergis.settings import Settings
from buergergis.store import audit, lifecycle
from buergergis.store.catalog import LayerRecord, get_layer
from buergergis.tiles.cache import withdraw_layer

#: Fields of ``PATCH /admin/api/layers/<id>`` (all optional) and what they mean to people.
META_FIELDS = {
    "title": "Titel",
    "title_en": "Titel (englisch)",
    "description": "Beschreibung",
    "description_en": "Beschreibung (englisch)",
    "category": "Kategorie",
    "license": "Lizenz",
    "attribution": "Namensnennung",
    "data_date": "Datenstand",
    "minzoom": "kleinste Zoomstufe",
    "maxzoom": "größte Zoomstufe",
}
VECTOR_FIELDS = {
    "attributes": "Attribute (angezeigt, Reihenfolge, Beschriftungen)",
    "popup": "Felder im Popup",
    "search": "Suchfelder",
    "style": "Darstellung",
}
RASTER_FIELDS = {"raster": "Rasterdarstellung"}
ALIASES = {"licence": "license"}


def file_managed(record: LayerRecord) -> bool:
    """Whether a file in ``layers/`` defines this layer (then it is read-only here)."""
    return record.origin == "yaml"


def managed_record(engine: Engine, layer_id: str) -> LayerRecord:
    """A layer the staff area may change (404 unknown, 409 file-managed)."""
    with engine.connect() as conn:
        record = get_layer(conn, layer_id, include_private=True)
    if record is None:
        raise NotFound(f"Layer '{layer_id}' gibt es nicht.")
    if file_managed(record):
        raise Conflict(
            f"Layer '{layer_id}' wird aus der Datei layers/{layer_id}.yaml geladen und ist hier "
            "nur lesbar. Bitte die Datei ändern und neu laden – sonst würde das nächste Laden "
            "die Änderung überschreiben."
        )
    if not record.loaded:
        raise Conflict(f"Layer '{layer_id}' ist noch nicht geladen.")
    return record


def _fresh(engine: Engine, layer_id: str) -> LayerRecord:
    with engine.connect() as conn:
        record = get_layer(conn, layer_id, include_private=True)
    assert record is not None
    return record


def edit_layer(engine: Engine, layer_id: str, changes: dict[str, Any], actor: str) -> LayerRecord:
    """Apply a PATCH body to the layer's definition; audited with old → new of each field."""
    record = managed_record(engine, layer_id)
    changes = {ALIASES.get(k, k): v for k, v in changes.items()}
    allowed = META_FIELDS | (VECTOR_FIELDS if record.kind == "vector" else RASTER_FIELDS)
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise InvalidParameter(
            f"Unbekannte Felder: {', '.join(unknown)}. Änderbar: {', '.join(allowed)}."
        )
    if not changes:
        raise InvalidParameter("Bitte mindestens ein Feld zum Ändern senden.")
    with engine.connect() as conn:
        known = known_attributes(conn, record)
    definition = updated_definition(record.definition, changes, known)
    before = record.definition.model_dump(mode="json", exclude_none=True)
    after = definition.model_dump(mode="json", exclude_none=True)
    changed = {
        k: {"alt": before.get(k), "neu": after.get(k)}
        for k in after
        if before.get(k) != after.get(k)
    }
    if not changed:
        return record
    with engine.begin() as conn:
        version = lifecycle.change_definition(
            conn, definition, actor=actor, action="edit", expected_version=record.version
        )
        audit.record(
            conn,
            actor,
            "layer_edit",
            layer_id=layer_id,
            version=version,
            details={"fields": sorted(changed), "changes": changed},
        )
    return _fresh(engine, layer_id)


def updated_definition(
    base: VectorLayer | RasterLayer, changes: dict[str, Any], known: dict[str, Attribute]
) -> VectorLayer | RasterLayer:
    """The definition with ``changes`` applied, validated by the catalog model (400 if not)."""
    data = base.model_dump(mode="json", exclude_none=True)
    for key, value in changes.items():
        if key == "category" and value not in CATEGORIES:
            raise InvalidParameter(
                f"Unbekannte Kategorie '{value}'. Möglich: {', '.join(CATEGORIES)}."
            )
        if key == "data_date" and value not in (None, ""):
            _check_date(value)
        if key == "style":
            data["style"] = _merged_style(data.get("style", {}), value)
        elif key == "attributes":
            data["attributes"] = _attributes(value, known)
        elif value is None or (value == "" and key in {"title_en", "description_en", "data_date"}):
            data.pop(key, None)
        else:
            data[key] = value
    if "attributes" in changes and isinstance(base, VectorLayer):
        _drop_hidden_references(data, changes)
    try:
        return parse_definition(data, "Änderung")
    except DefinitionError as exc:
        message = (
            exc.description.replace("Änderung: ", "")
            .replace("Feld '(Datei)': ", "")
            .replace("Value error, ", "")
        )
        raise InvalidParameter(f"Ungültige Angaben – {message}") from None


def _check_date(value: Any) -> None:
    try:
        dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidParameter(
            f"Datenstand '{value}' ist kein Datum. Bitte als JJJJ-MM-TT angeben."
        ) from None


def _merged_style(old: dict[str, Any], value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidParameter('\'style\' muss ein Objekt sein, z. B. {"color": "#1f6fb2"}.')
    merged = {**old, **value}
    return {k: v for k, v in merged.items() if v is not None}


def _attributes(value: Any, known: dict[str, Attribute]) -> list[dict[str, Any]]:
    """Shown attributes in order with their labels: ``[{"name", "title", "title_en"}, …]``."""
    if not isinstance(value, list) or not value:
        raise InvalidParameter(
            "'attributes' muss eine nicht leere Liste sein: "
            '[{"name": "gen", "title": "Gemeinde", "title_en": "Municipality"}, …].'
        )
    result = []
    for item in value:
        item = {"name": item} if isinstance(item, str) else item
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise InvalidParameter("Jedes Attribut braucht einen Namen ('name').")
        extra = set(item) - {"name", "title", "title_en"}
        if extra:
            raise InvalidParameter(
                f"Attribut '{item['name']}': nur name, title und title_en sind änderbar "
                f"(nicht {', '.join(sorted(extra))})."
            )
        attr = known.get(item["name"])
        if attr is None:
            raise InvalidParameter(
                f"Das Attribut '{item['name']}' gibt es in den Daten nicht. "
                f"Vorhanden: {', '.join(known)}."
            )
        labels = {k: (item.get(k) or None) for k in ("title", "title_en") if k in item}
        result.append(attr.model_copy(update=labels).model_dump(exclude_none=True))
    return result


def _drop_hidden_references(data: dict[str, Any], changes: dict[str, Any]) -> None:
    """Hidden attributes leave popup, search and label, unless those were sent explicitly."""
    names = {a["name"] for a in data["attributes"]}
    for key in ("popup", "search"):
        if key not in changes:
            data[key] = [n for n in data.get(key, []) if n in names]
    style = data.get("style", {})
    if "style" not in changes and style.get("label") not in (None, *names):
        style.pop("label")


def known_attributes(conn: Connection, record: LayerRecord) -> dict[str, Attribute]:
    """Every attribute the live data has (also hidden ones), in the order first published."""
    if record.kind != "vector" or not record.data_table:
        return {}
    found: dict[str, Attribute] = {a.name: a for a in record.attributes}
    for item in lifecycle.attributes_of_data(conn, record.id, record.data_table):
        found.setdefault(item["name"], Attribute.model_validate(item))
    return found


def set_public(
    engine: Engine, layer_id: str, public: bool, actor: str, settings: Settings | None = None
) -> LayerRecord:
    """Publish (public) or unpublish (private) a layer; a no-op when it already is.

    Unpublishing removes the layer's public cached tiles at once (``settings``: where the
    tile cache is), so no server in front keeps serving them."""
    record = managed_record(engine, layer_id)
    if record.public == public:
        return record
    definition = record.definition.model_copy(update={"public": public})
    with engine.begin() as conn:
        version = lifecycle.change_definition(
            conn, definition, actor=actor, action="publish" if public else "unpublish"
        )
        audit.record(
            conn,
            actor,
            "layer_public" if public else "layer_private",
            layer_id=layer_id,
            version=version,
        )
    if not public and settings is not None:  # after the commit: no request re-caches them
        withdraw_layer(settings.shared / "cache" / "tiles", layer_id)
    return _fresh(engine, layer_id)


def delete_layer(settings: Settings, engine: Engine, layer_id: str, actor: str) -> dict[str, Any]:
    """Move the layer to the recycle bin (restorable for ``deleted_keep_days``)."""
    record = managed_record(engine, layer_id)
    with engine.begin() as conn:
        version = lifecycle.delete(conn, layer_id, actor=actor)
        audit.record(
            conn,
            actor,
            "layer_delete",
            layer_id=layer_id,
            version=version,
            details={"title": record.definition.title, "keep_days": settings.deleted_keep_days},
        )
    withdraw_layer(settings.shared / "cache" / "tiles", layer_id)  # nginx serves the cache
    return deleted_state(settings, engine, layer_id)


def deleted_state(settings: Settings, engine: Engine, layer_id: str) -> dict[str, Any]:
    """The recycle-bin entry of a deleted layer as JSON."""
    with engine.connect() as conn:
        entries = lifecycle.deleted_layers(conn, settings.deleted_keep_days)
    for entry in entries:
        if entry.id == layer_id:
            return entry.to_dict() | {"deleted": True}
    raise NotFound(f"Layer '{layer_id}' gibt es im Papierkorb nicht.")


def restore_layer(engine: Engine, layer_id: str, actor: str) -> LayerRecord:
    """Take a layer out of the recycle bin, as it was."""
    with engine.begin() as conn:
        version = lifecycle.restore(conn, layer_id, actor=actor)
        audit.record(conn, actor, "layer_restore", layer_id=layer_id, version=version)
    return _fresh(engine, layer_id)


def purge_layer(settings: Settings, engine: Engine, layer_id: str, actor: str) -> None:
    """Remove a deleted layer for good: tables, versions, raster files, archived sources."""
    with engine.begin() as conn:
        files = lifecycle.purge(conn, layer_id)
        audit.record(conn, actor, "layer_purge", layer_id=layer_id)
    for name in files:
        with contextlib.suppress(OSError):
            Path(name).unlink()
    for folder in (settings.shared / "sources" / layer_id, settings.shared / "raster" / layer_id):
        shutil.rmtree(folder, ignore_errors=True)


def purge_expired(settings: Settings, engine: Engine, actor: str) -> list[str]:
    """Purge every deleted layer whose restore period is over; returns their ids."""
    with engine.connect() as conn:
        ids = lifecycle.purgeable(conn, settings.deleted_keep_days)
    for layer_id in ids:
        purge_layer(settings, engine, layer_id, actor)
    return ids
