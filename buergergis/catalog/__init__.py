"""Layer definitions: typed models, YAML parsing and the JSON Schema of the format."""

from buergergis.catalog.models import (
    Attribute,
    LayerDefinition,
    RasterLayer,
    RasterOptions,
    Source,
    Style,
    Temporal,
    VectorLayer,
)
from buergergis.catalog.parse import load_definition_file, load_definitions, parse_definition

__all__ = [
    "Attribute",
    "LayerDefinition",
    "RasterLayer",
    "RasterOptions",
    "Source",
    "Style",
    "Temporal",
    "VectorLayer",
    "load_definition_file",
    "load_definitions",
    "parse_definition",
]
