"""Publish, replace, roll back and export layers — always through the one loader, always audited.

Publishing copies the chosen dataset of an upload to ``var/sources/<layer>/<upload>/`` (so
the layer's definition keeps a readable source and can be exported as YAML) and calls
``load_layer(..., origin="upload")``: one transaction, the previous version stays live on any
error, older versions are kept up to ``keep_versions``. Uploaded layers are not in
``layers/``, so ``buergergis load --all`` never touches them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Connection, Engine, text

from buergergis.admin import doctor
from buergergis.admin.doctor import PreviewOptions
from buergergis.admin.uploads import Upload, claimed, discard
from buergergis.catalog.models import Attribute, RasterLayer, Source, VectorLayer
from buergergis.catalog.parse import parse_definition
from buergergis.errors import Conflict, DefinitionError, InvalidParameter, LoadError
from buergergis.ingest.batches import batch_size
from buergergis.ingest.pipeline import LoadResult, load_layer
from buergergis.ingest.sources import workdir
from buergergis.ingest.write import PreparedLayer
from buergergis.settings import Settings
from buergergis.store import audit, history, lifecycle
from buergergis.store.catalog import LayerRecord, get_layer


@dataclass(frozen=True)
class LayerMeta:
    """What the publish form asks for a new layer."""

    id: str
    title: str
    description: str = ""
    category: str = "Sonstiges"
    color: str = "#1f6fb2"
    icon: str | None = None
    popup: tuple[str, ...] = ()
    public: bool = True
    license: str = "dl-de/by-2-0"
    attribution: str = "Stadt Hameln"
    id_column: str | None = None


@dataclass(frozen=True)
class ChangeResult:
    """The outcome of a publish, replace or rollback."""

    layer_id: str
    version: int
    action: str
    counts: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the API."""
        return {
            "layer": self.layer_id,
            "version": self.version,
            "action": self.action,
            "counts": self.counts,
        }


def publish_upload(
    settings: Settings,
    engine: Engine,
    upload: Upload,
    options: PreviewOptions,
    meta: LayerMeta,
    actor: str,
) -> ChangeResult:
    """Publish one dataset of an upload as a new layer."""
    check_new_id(settings, engine, meta.id)
    with claimed(upload):
        with workdir(upload.folder) as work:
            prepared, _, decision = doctor.prepare(
                settings, upload, options, None, work, strict=True, limit=batch_size()
            )
        _require_features(prepared)
        source = prepared.definition.source
        definition = new_definition(meta, prepared.columns.attributes, source)
        result = load_upload(settings, engine, upload, options, definition, actor, "publish")
    details = {"file": upload.filename, "crs": decision.used or decision.detected}
    return finish_change(engine, upload, actor, "publish", meta.id, result, details)


def replace_layer(
    settings: Settings,
    engine: Engine,
    upload: Upload,
    options: PreviewOptions,
    layer_id: str,
    actor: str,
) -> ChangeResult:
    """Replace the data of an uploaded layer with one dataset of an upload."""
    record = doctor.target_layer(engine, layer_id)
    base = record.definition
    assert isinstance(base, VectorLayer)
    with claimed(upload):
        with workdir(upload.folder) as work:
            prepared, _, _ = doctor.prepare(
                settings, upload, options, base, work, strict=True, limit=batch_size()
            )
        _require_features(prepared)
        source = prepared.definition.source
        with engine.connect() as conn:
            hidden = hidden_attributes(conn, base, record.data_table)
        attributes = shown_in_order(base, hidden, prepared.columns.attributes)
        definition = replacement_definition(base, attributes, source)
        result = load_upload(settings, engine, upload, options, definition, actor, "replace")
    details = {"file": upload.filename, "previous_version": record.version}
    return finish_change(
        engine, upload, actor, "replace", layer_id, result, details,
        extra_counts={"previous_count": record.feature_count},
    )  # fmt: skip


def finish_change(
    engine: Engine,
    upload: Upload,
    actor: str,
    action: str,
    layer_id: str,
    result: LoadResult,
    details: dict[str, Any],
    *,
    extra_counts: dict[str, Any] | None = None,
) -> ChangeResult:
    """After a load from an upload: audit the change, discard the upload, say what changed."""
    counts = load_counts(result) | (extra_counts or {})
    with engine.begin() as conn:
        audit.record(
            conn, actor, action, layer_id=layer_id, version=result.version, counts=counts,
            details=details,
        )  # fmt: skip
    discard(upload)
    return ChangeResult(layer_id, result.version, action, counts)


def check_new_id(settings: Settings, engine: Engine, layer_id: str) -> None:
    with engine.connect() as conn:
        taken = get_layer(conn, layer_id, include_private=True) is not None
        if lifecycle.in_trash(conn, layer_id):
            raise Conflict(
                f"Die Layer-ID '{layer_id}' gehört zu einem Layer im Papierkorb. Bitte ihn "
                "wiederherstellen, endgültig löschen oder eine andere ID wählen."
            )
    if taken or (settings.layers_path / f"{layer_id}.yaml").exists():
        raise Conflict(
            f"Die Layer-ID '{layer_id}' ist schon vergeben. Bitte eine andere wählen "
            "oder die Daten des bestehenden Layers ersetzen."
        )


def _require_features(prepared: PreparedLayer) -> None:
    if not len(prepared.gids):
        raise LoadError(
            "Die Datei enthält keine Objekte mit Geometrie – nichts zu veröffentlichen."
        )


def new_definition(
    meta: LayerMeta, attributes: tuple[Attribute, ...], source: Source
) -> VectorLayer:
    """A validated definition from the form (errors name the field)."""
    style: dict[str, Any] = {"color": meta.color}
    if meta.icon:
        style["icon"] = meta.icon
    data = {
        "id": meta.id,
        "title": meta.title,
        "description": meta.description,
        "category": meta.category,
        "public": meta.public,
        "license": meta.license,
        "attribution": meta.attribution,
        "source": source.model_dump(exclude_none=True),
        "id_column": meta.id_column,
        "attributes": [a.model_dump(exclude_none=True) for a in attributes],
        "style": style,
        "popup": list(meta.popup),
    }
    return _validated({k: v for k, v in data.items() if v is not None}, "Formular")


def _validated(data: dict[str, Any], origin: str) -> VectorLayer:
    """``parse_definition`` with pydantic's English prefixes removed from the message."""
    try:
        definition = parse_definition(data, origin)
    except DefinitionError as exc:
        raise InvalidParameter(exc.description.replace("Value error, ", "")) from None
    assert isinstance(definition, VectorLayer)
    return definition


def replacement_definition(
    base: VectorLayer, attributes: tuple[Attribute, ...], source: Source
) -> VectorLayer:
    """The layer's definition with new data: known attributes keep their labels."""
    stored = {a.name: a for a in base.attributes or ()}
    merged = [
        stored[a.name].model_copy(update={"type": a.type, "source": a.source})
        if a.name in stored
        else a
        for a in attributes
    ]
    names = {a.name for a in merged}
    data = base.model_dump(mode="json", exclude_none=True)
    data["source"] = source.model_dump(exclude_none=True)
    data["attributes"] = [a.model_dump(exclude_none=True) for a in merged]
    data["popup"] = [p for p in base.popup if p in names]
    data["search"] = [s for s in base.search if s in names]
    if base.style.label and base.style.label not in names:
        data["style"].pop("label", None)
    if base.style.by_attribute and base.style.by_attribute.attribute not in names:
        data["style"].pop("by_attribute", None)
    if (
        base.temporal
        and not {base.temporal.start, base.temporal.end or base.temporal.start} <= names
    ):
        data.pop("temporal", None)
    return _validated(data, base.id)


def load_upload(
    settings: Settings,
    engine: Engine,
    upload: Upload,
    options: PreviewOptions,
    definition: VectorLayer | RasterLayer,
    actor: str,
    action: str,
) -> LoadResult:
    folder, source = archive_source(settings, upload, options, definition)
    try:
        result = load_layer(
            engine,
            settings,
            definition.model_copy(update={"source": source}),
            origin="upload",
            actor=actor,
            action=action,
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    (folder / LOADING_MARKER).unlink(missing_ok=True)
    prune_sources(settings, engine, definition.id)
    return result


def archive_source(
    settings: Settings,
    upload: Upload,
    options: PreviewOptions,
    definition: VectorLayer | RasterLayer,
) -> tuple[Path, Source]:
    """Copy the dataset's files to ``var/sources/<layer>/<upload>/``; returns folder and source."""
    dataset = upload.dataset(options.dataset)
    original = upload.path(dataset)
    folder = settings.shared / "sources" / definition.id / upload.id
    folder.mkdir(parents=True, exist_ok=True)
    if dataset.format in ("shapefile", "gtiff"):  # with .shx/.dbf/.prj or .tfw/.prj
        stem = original.stem.lower()
        members = [p for p in original.parent.iterdir() if p.stem.lower() == stem]
    else:
        members = [original]
    (folder / LOADING_MARKER).write_text(f"{socket.gethostname()}:{os.getpid()}")
    for member in members:
        shutil.copy2(member, folder / member.name)
    source = definition.source.model_copy(update={"path": str(folder / original.name)})
    return folder, source


#: Marks an archived source whose load is still running (never pruned meanwhile).
LOADING_MARKER = ".loading"
#: A marker older than this was left by a killed process.
LOADING_STALE_S = 6 * 3600


def prune_sources(settings: Settings, engine: Engine, layer_id: str) -> None:
    """Delete archived sources no kept version refers to any more."""
    base = settings.shared / "sources" / layer_id
    if not base.is_dir():
        return
    with engine.connect() as conn:
        paths = conn.execute(
            text(
                "SELECT definition->'source'->>'path' FROM buergergis.layer_version"
                " WHERE layer_id = :id AND kept"
            ),
            {"id": layer_id},
        ).scalars()
        used = {Path(p).parent.name for p in paths if p}
    for folder in base.iterdir():
        if folder.is_dir() and folder.name not in used and not _loading(folder):
            shutil.rmtree(folder, ignore_errors=True)


def _loading(folder: Path) -> bool:
    """Whether a load still reads this archived source (e.g. waiting for the layer's lock
    behind a concurrent replacement). The marker names host and process; a marker of a
    process that is gone, or of another host and older than ``LOADING_STALE_S``, is not."""
    marker = folder / LOADING_MARKER
    try:
        host, _, pid = marker.read_text().partition(":")
        age = time.time() - marker.stat().st_mtime
    except OSError:
        return False
    if host != socket.gethostname() or not pid.isdigit():
        return age < LOADING_STALE_S
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def load_counts(result: LoadResult) -> dict[str, Any]:
    report = result.report
    return {
        "read": report.read,
        "written": report.written,
        "repaired": report.repaired,
        "linearised": report.linearised,
        "dropped": sum(report.dropped.values()),
    }


def rollback_layer(
    settings: Settings, engine: Engine, layer_id: str, version: int, actor: str
) -> ChangeResult:
    """Make a kept version live again as a new version (audited in the same transaction)."""
    created: list[Path] = []

    def copy_raster(old: str, new_version: int) -> str:
        target = settings.shared / "raster" / layer_id / f"v{new_version}.tif"
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial.tif")
        shutil.copy2(old, partial)
        partial.replace(target)
        created.append(target)
        return str(target)

    try:
        with engine.begin() as conn:
            result = history.rollback(
                conn,
                layer_id,
                version,
                actor=actor,
                keep=settings.keep_versions,
                copy_raster=copy_raster,
                choose_definition=old_data_current_metadata,
            )
            counts = {"features": result.feature_count, "from_version": version}
            audit.record(
                conn, actor, "rollback", layer_id=layer_id, version=result.version, counts=counts
            )
    except BaseException:
        for path in created:
            path.unlink(missing_ok=True)
        raise
    for name in result.obsolete_files:
        with contextlib.suppress(OSError):
            Path(name).unlink()
    prune_sources(settings, engine, layer_id)
    return ChangeResult(layer_id, result.version, "rollback", counts)


def old_data_current_metadata(
    conn: Connection, old: Any, current: Any
) -> VectorLayer | RasterLayer:
    """What a rollback makes live: the kept version's data with today's title, labels, style
    and visibility (attributes hidden today stay hidden; columns new to today are shown)."""
    then = parse_definition(old.definition, f"Version {old.version}")
    now = parse_definition(current.definition, f"catalog:{current.id}")
    if not isinstance(then, VectorLayer) or not isinstance(now, VectorLayer):
        return now.model_copy(update={"source": then.source})
    hidden = hidden_attributes(conn, now, current.data_table)
    attributes = shown_in_order(now, hidden, then.attributes or ())
    definition = replacement_definition(now, attributes, then.source)
    return definition.model_copy(update={"id_column": then.id_column})


def hidden_attributes(conn: Connection, definition: VectorLayer, table: str | None) -> set[str]:
    """Columns of the live data that the staff chose not to show."""
    if not table:
        return set()
    known = {a["name"] for a in lifecycle.attributes_of_data(conn, definition.id, table)}
    return known - {a.name for a in definition.attributes or ()}


def shown_in_order(
    now: VectorLayer, hidden: set[str], incoming: tuple[Attribute, ...]
) -> tuple[Attribute, ...]:
    """Incoming attributes in today's order; hidden ones stay hidden, new columns go last."""
    shown = [a.name for a in now.attributes or ()]
    by_name = {a.name: a for a in incoming}
    order = [n for n in shown if n in by_name]
    order += [n for n in by_name if n not in shown and n not in hidden]
    return tuple(by_name[n] for n in order)


def export_yaml(settings: Settings, record: LayerRecord) -> str:
    """The layer's definition as a ``layers/<id>.yaml`` file (source path relative to root)."""
    data = record.definition.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    data = {"id": record.id, "title": record.definition.title, **data}
    if record.kind == "raster":
        data["kind"] = "raster"
    path = Path(record.definition.source.path)
    if path.is_absolute() and path.is_relative_to(settings.root):
        data["source"]["path"] = path.relative_to(settings.root).as_posix()
    header = (
        f"# Layer '{record.id}', Version {record.version} – exportiert aus BürgerGIS.\n"
        f"# Als layers/{record.id}.yaml speichern; 'buergergis load {record.id}' lädt ihn.\n"
    )
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False)
    return header + body
