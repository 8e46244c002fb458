"""Read layer definitions from YAML with errors that name the file and the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from buergergis.catalog.models import (
    AnyDefinition,
    ExternalLayer,
    LayerDefinition,
    RasterLayer,
    VectorLayer,
)
from buergergis.errors import DefinitionError

_ADAPTER: TypeAdapter[VectorLayer | RasterLayer] = TypeAdapter(LayerDefinition)
_ANY: TypeAdapter[VectorLayer | RasterLayer | ExternalLayer] = TypeAdapter(AnyDefinition)


def _describe(exc: ValidationError, origin: str) -> str:
    lines = []
    for err in exc.errors():
        field = (
            ".".join(str(p) for p in err["loc"] if p not in ("vector", "raster", "external"))
            or "(Datei)"
        )
        if err["type"] == "extra_forbidden":
            msg = "unbekannter Schlüssel"
        elif err["type"] == "missing":
            msg = "Pflichtfeld fehlt"
        else:
            msg = err["msg"]
        lines.append(f"{origin}: Feld '{field}': {msg}")
    return "; ".join(lines)


def parse_definition(data: Any, origin: str = "<definition>") -> VectorLayer | RasterLayer:
    """Validate a mapping as a layer definition (``kind`` defaults to ``vector``)."""
    if not isinstance(data, dict):
        raise DefinitionError(f"{origin}: eine Layer-Definition muss ein YAML-Objekt sein")
    data = {"kind": "vector", **data}
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise DefinitionError(_describe(exc, origin)) from None


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DefinitionError(f"{path.name}: nicht lesbar: {exc}") from None


def _check_name(path: Path, layer_id: str) -> None:
    if path.stem != layer_id:
        raise DefinitionError(
            f"{path.name}: Feld 'id': muss dem Dateinamen entsprechen ('{path.stem}')"
        )


def is_external_file(path: Path) -> bool:
    """Whether a YAML file defines an external layer (``kind: external``)."""
    data = _read_yaml(path)
    return isinstance(data, dict) and data.get("kind") == "external"


def load_external_file(path: Path) -> ExternalLayer:
    """Parse one YAML file of ``kind: external`` (shape only; hosts: ``extern.registry``)."""
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise DefinitionError(f"{path.name}: eine Layer-Definition muss ein YAML-Objekt sein")
    try:
        layer = _ANY.validate_python(data)
    except ValidationError as exc:
        raise DefinitionError(_describe(exc, path.name)) from None
    if not isinstance(layer, ExternalLayer):
        raise DefinitionError(f"{path.name}: Feld 'kind': 'external' erwartet")
    _check_name(path, layer.id)
    return layer


def load_definition_file(path: Path, root: Path | None = None) -> VectorLayer | RasterLayer:
    """Parse one YAML file; the source must exist (relative to ``root``)."""
    layer = parse_definition(_read_yaml(path), path.name)
    _check_name(path, layer.id)
    source = resolve_source_path(layer.source.path, root or path.parent.parent)
    if not source.exists():
        raise DefinitionError(
            f"{path.name}: Feld 'source.path': Datei nicht gefunden: {layer.source.path}"
        )
    return layer


def load_definitions(directory: Path, root: Path | None = None) -> list[VectorLayer | RasterLayer]:
    """Parse every ``*.yaml`` in ``directory`` that defines a layer to load (external layers
    are not loaded: see :func:`load_external_file`); errors of all files are reported together."""
    layers, problems = [], []
    for path in sorted(directory.glob("*.yaml")):
        try:
            if is_external_file(path):
                continue
            layers.append(load_definition_file(path, root))
        except DefinitionError as exc:
            problems.append(exc.description)
    if problems:
        raise DefinitionError("\n".join(problems))
    return layers


def resolve_source_path(path: str, root: Path) -> Path:
    """A source path relative to the project root (absolute paths stay as they are)."""
    candidate = Path(path)
    return candidate if candidate.is_absolute() else (root / candidate)


def json_schema() -> str:
    """The JSON Schema of the layer definition format (documented in docs/layers.md)."""
    schema = _ANY.json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "BürgerGIS-Layerdefinition"
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
