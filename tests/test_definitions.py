"""Layer definitions: typed models, clear errors naming file and field, the JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from buergergis.catalog.models import (
    RESERVED_IDS,
    Attribute,
    RasterLayer,
    RasterOptions,
    Source,
    Style,
    Temporal,
    VectorLayer,
)
from buergergis.catalog.parse import (
    json_schema,
    load_definition_file,
    load_definitions,
    parse_definition,
)
from buergergis.errors import DefinitionError
from buergergis.settings import PROJECT_ROOT

MINIMAL = {"id": "kitas", "title": "Kitas", "source": {"path": "data/kitas.geojson"}}


def _write(tmp_path: Path, name: str, data: dict) -> Path:
    (tmp_path / "layers").mkdir(exist_ok=True)
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "kitas.geojson").write_text('{"type":"FeatureCollection","features":[]}')
    path = tmp_path / "layers" / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_minimal_vector_definition_gets_defaults() -> None:
    layer = parse_definition(MINIMAL)
    assert isinstance(layer, VectorLayer)
    assert (
        layer.public is True and layer.category == "Sonstiges" and layer.style.color.startswith("#")
    )


def test_raster_definition() -> None:
    layer = parse_definition(
        {**MINIMAL, "id": "gelaende", "kind": "raster", "raster": {"mode": "hillshade"}}
    )
    assert isinstance(layer, RasterLayer) and layer.raster.mode == "hillshade"


def test_unknown_key_is_refused_with_file_and_field(tmp_path: Path) -> None:
    path = _write(tmp_path, "kitas.yaml", {**MINIMAL, "farbe": "rot"})
    with pytest.raises(DefinitionError) as err:
        load_definition_file(path, tmp_path)
    assert "kitas.yaml" in err.value.description and "'farbe'" in err.value.description
    assert "unbekannter Schlüssel" in err.value.description


def test_nested_unknown_key_names_the_path(tmp_path: Path) -> None:
    path = _write(tmp_path, "kitas.yaml", {**MINIMAL, "style": {"colour": "#ff0000"}})
    with pytest.raises(DefinitionError, match=r"style\.colour"):
        load_definition_file(path, tmp_path)


def test_wrong_type_is_refused_with_field(tmp_path: Path) -> None:
    path = _write(tmp_path, "kitas.yaml", {**MINIMAL, "minzoom": "hoch"})
    with pytest.raises(DefinitionError, match=r"kitas\.yaml: Feld 'minzoom'"):
        load_definition_file(path, tmp_path)


def test_missing_source_file_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "kitas.yaml", {**MINIMAL, "source": {"path": "data/fehlt.shp"}})
    with pytest.raises(DefinitionError, match=r"source\.path.*fehlt\.shp"):
        load_definition_file(path, tmp_path)


def test_missing_source_key_is_refused(tmp_path: Path) -> None:
    data = {k: v for k, v in MINIMAL.items() if k != "source"}
    with pytest.raises(DefinitionError, match=r"Feld 'source': Pflichtfeld fehlt"):
        load_definition_file(_write(tmp_path, "kitas.yaml", data), tmp_path)


@pytest.mark.parametrize("layer_id", ["Kitas", "kitas!", "1kita", "ki--tas", "a" * 41, "über"])
def test_invalid_ids_are_refused(layer_id: str) -> None:
    with pytest.raises(DefinitionError, match="Feld 'id'"):
        parse_definition({**MINIMAL, "id": layer_id})


@pytest.mark.parametrize(
    "layer_id", sorted(RESERVED_IDS & {"admin", "ogc", "tiles", "embed", "liste", "search"})
)
def test_route_names_cannot_be_layer_ids(layer_id: str) -> None:
    with pytest.raises(DefinitionError, match="reservierter Name"):
        parse_definition({**MINIMAL, "id": layer_id})


def test_file_name_must_match_id(tmp_path: Path) -> None:
    path = _write(tmp_path, "andere.yaml", MINIMAL)
    with pytest.raises(DefinitionError, match="Dateinamen"):
        load_definition_file(path, tmp_path)


def test_popup_must_reference_published_attributes() -> None:
    data = {**MINIMAL, "attributes": [{"name": "name"}], "popup": ["name", "adresse"]}
    with pytest.raises(DefinitionError, match="adresse"):
        parse_definition(data)


def test_all_errors_of_a_directory_are_reported_together(tmp_path: Path) -> None:
    _write(tmp_path, "kitas.yaml", {**MINIMAL, "x": 1})
    _write(tmp_path, "schulen.yaml", {**MINIMAL, "id": "schulen", "maxzoom": 99})
    with pytest.raises(DefinitionError) as err:
        load_definitions(tmp_path / "layers", tmp_path)
    assert "kitas.yaml" in err.value.description and "schulen.yaml" in err.value.description


def test_documented_schema_is_current() -> None:
    documented = (PROJECT_ROOT / "docs" / "layer-schema.json").read_text(encoding="utf-8")
    assert documented == json_schema(), (
        "docs/layer-schema.json ist veraltet: buergergis schema --output …"
    )


def test_schema_and_models_agree_on_the_repository_layers() -> None:
    schema = json.loads(json_schema())
    paths = sorted((PROJECT_ROOT / "layers").glob("*.yaml"))
    assert paths, "layers/ enthält keine Definitionen"
    for path in paths:
        data = {"kind": "vector", **yaml.safe_load(path.read_text(encoding="utf-8"))}
        jsonschema.validate(data, schema)
        parse_definition(data, path.name)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**MINIMAL, "kind": "vector", "unbekannt": 1}, schema)


def test_every_definition_field_is_documented() -> None:
    docs = (PROJECT_ROOT / "docs" / "layers.md").read_text(encoding="utf-8")
    for model in (VectorLayer, RasterLayer, Source, Attribute, Style, Temporal, RasterOptions):
        for name in model.model_fields:
            assert f"`{name}`" in docs, f"Feld {name} fehlt in docs/layers.md"


def test_unit_of_numbers_is_optional_short_and_validated() -> None:
    attributes = [
        {"name": "preis", "type": "float", "title": "Preis je Raummeter", "unit": "€"},
        {"name": "menge", "type": "float", "unit": "rm", "unit_en": "stacked m³"},
        {"name": "km", "type": "integer", "unit": "km"},
        {"name": "name"},
    ]
    layer = parse_definition({**MINIMAL, "attributes": attributes})
    assert isinstance(layer, VectorLayer) and layer.attributes
    preis, menge, km, name = layer.attributes
    assert (preis.unit_in("de"), preis.unit_in("en")) == ("€", "€")
    assert (menge.unit_in("de"), menge.unit_in("en")) == ("rm", "stacked m³")
    assert km.unit == "km" and name.unit is None and name.unit_in("en") is None
    # a stored definition from before units (the catalog keeps definitions as JSON) still parses
    stored = json.loads(json.dumps(layer.model_dump(mode="json", exclude_none=True)))
    for attr in stored["attributes"]:
        attr.pop("unit", None), attr.pop("unit_en", None)
    old = parse_definition(stored, "catalog:kitas")
    assert isinstance(old, VectorLayer) and old.attributes
    assert all(a.unit is None for a in old.attributes)


@pytest.mark.parametrize(
    ("attribute", "fragment"),
    [
        ({"name": "name", "type": "text", "unit": "€"}, "nur für Zahlen"),
        ({"name": "p", "type": "float", "unit": "x" * 13}, "attributes.0.unit"),
        ({"name": "p", "type": "float", "unit": "<b>"}, "attributes.0.unit"),
        ({"name": "p", "type": "float", "unit": "2 €"}, "attributes.0.unit"),
        ({"name": "p", "type": "float", "unit_en": "EUR"}, "unit_en nur zusammen mit unit"),
        ({"name": "p", "type": "float", "unit": 5}, "attributes.0.unit"),
    ],
)
def test_bad_units_are_refused_with_the_field(attribute: dict, fragment: str) -> None:
    with pytest.raises(DefinitionError) as err:
        parse_definition({**MINIMAL, "attributes": [attribute]}, "kitas.yaml")
    assert fragment in err.value.description and "kitas.yaml" in err.value.description
