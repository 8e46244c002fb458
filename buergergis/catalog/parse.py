"""Read layer definitions from YAML with errors that name the file and the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from buergergis.catalog.models import LayerDefinition, RasterLayer, VectorLayer
from buergergis.errors import DefinitionError

_ADAPTER: TypeAdapter[VectorLayer | RasterLayer] = TypeAdapter(LayerDefinition)


def _describe(exc: ValidationError, origin: str) -> str:
    lines = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"] if p not in ("vector", "raster")) or "(Datei)"
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


def load_definition_file(path: Path, root: Path | None = None) -> VectorLayer | RasterLayer:
    """Parse one YAML file; the source must exist (relative to ``root``)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DefinitionError(f"{path.name}: nicht lesbar: {exc}") from None
    layer = parse_definition(data, path.name)
    if path.stem != layer.id:
        raise DefinitionError(
            f"{path.name}: Feld 'id': muss dem Dateinamen entsprechen ('{path.stem}')"
        )
    source = resolve_source_path(layer.source.path, root or path.parent.parent)
    if not source.exists():
        raise DefinitionError(
            f"{path.name}: Feld 'source.path': Datei nicht gefunden: {layer.source.path}"
        )
    return layer


def load_definitions(directory: Path, root: Path | None = None) -> list[VectorLayer | RasterLayer]:
    """Parse every ``*.yaml`` in ``directory``; errors of all files are reported together."""
    layers, problems = [], []
    for path in sorted(directory.glob("*.yaml")):
        try:
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
    schema = _ADAPTER.json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "BürgerGIS-Layerdefinition"
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
