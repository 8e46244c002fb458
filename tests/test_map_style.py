"""Issue 10: layer style by attribute (validated, documented), one colour per value everywhere
(legend, browser classes, MapLibre style JSON, SLD 1.1, list badges), the configured city view
and the "data mostly outside the city" warning of import and Upload-Doktor."""

# ruff: noqa: F811 - the fixture "editor" comes from tests.admin_support

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
import yaml
from click.testing import CliRunner
from flask.testing import FlaskClient
from lxml import etree
from sqlalchemy import Engine

from buergergis.catalog.models import (
    Attribute,
    Source,
    Style,
    StyleByAttribute,
    StyleCategory,
    StyleRange,
    VectorLayer,
)
from buergergis.catalog.parse import parse_definition
from buergergis.errors import DefinitionError
from buergergis.ingest.extent import city_share
from buergergis.maps import sld
from buergergis.maps.layers import NearestChoice, map_layer, nearest_choices
from buergergis.maps.styling import browser_classes, class_color, color_expression, legend
from buergergis.settings import PROJECT_ROOT, Settings, load_settings
from buergergis.store.catalog import LayerRecord
from tests.admin_support import editor  # noqa: F401 - fixture

HOLZ = yaml.safe_load((PROJECT_ROOT / "layers" / "holzverkauf.yaml").read_text(encoding="utf-8"))
STATUS_COLOURS = {"frei": "#1a9850", "reserviert": "#e08214", "verkauft": "#8c8c8c"}
MINIMAL: dict[str, Any] = {
    "id": "proben",
    "title": "Proben",
    "source": {"path": "data/proben.geojson"},
    "attributes": [{"name": "status"}, {"name": "preis", "type": "float"}, {"name": "n", "type": "integer"}],
}  # fmt: skip
SE = "{http://www.opengis.net/se}"
OGC = "{http://www.opengis.net/ogc}"
SLD_NS = "{http://www.opengis.net/sld}"


def _with_style(by: dict[str, Any]) -> dict[str, Any]:
    return {**MINIMAL, "style": {"color": "#123456", "by_attribute": by}}


def _ranges() -> StyleByAttribute:
    return StyleByAttribute(
        attribute="preis",
        ranges=(
            StyleRange(max=40, color="#eeeeee", label="unter 40 €"),
            StyleRange(min=40, max=60, color="#999999", label="40–60 €"),
            StyleRange(min=60, color="#111111", label="ab 60 €", label_en="60 € and more"),
        ),
    )


# ---- the definition: validated like the rest, documented -----------------------------------


def test_the_holzverkauf_definition_colours_its_lots_by_status() -> None:
    layer = parse_definition(HOLZ, "holzverkauf.yaml")
    assert isinstance(layer, VectorLayer) and layer.style.by_attribute is not None
    by = layer.style.by_attribute
    assert by.attribute == "status"
    assert {c.key: c.color for c in by.categories} == STATUS_COLOURS
    path = PROJECT_ROOT / "layers" / "fahrzeugverkauf.yaml"
    fahrzeug = parse_definition(yaml.safe_load(path.read_text(encoding="utf-8")), path.name)
    assert isinstance(fahrzeug, VectorLayer) and fahrzeug.style.by_attribute is not None
    assert [c.key for c in fahrzeug.style.by_attribute.categories] == [
        "verfügbar",
        "reserviert",
        "verkauft",
    ]


@pytest.mark.parametrize(
    ("by", "field", "message"),
    [
        (
            {"attribute": "status", "categories": [{"value": "frei", "color": "grün"}]},
            "style.by_attribute.categories.0.color",
            "pattern",
        ),
        (
            {"attribute": "status", "categories": [{"value": "frei", "color": "#00aa00", "farbe": 1}]},
            "style.by_attribute.categories.0.farbe",
            "unbekannter Schlüssel",
        ),
        ({"attribute": "status"}, "style.by_attribute", "genau eines"),
        (
            {"attribute": "fehlt", "categories": [{"value": "x", "color": "#000000"}]},
            "(Datei)",
            "unbekannte Attribute referenziert: fehlt",
        ),
        (
            {"attribute": "status", "ranges": [{"max": 3, "color": "#000000", "label": "a"}]},
            "(Datei)",
            "Zahlenklassen brauchen integer oder float",
        ),
        (
            {"attribute": "n", "categories": [{"value": "viel", "color": "#000000"}]},
            "(Datei)",
            "passen nicht zum Typ 'integer'",
        ),
        (
            {"attribute": "status", "categories": [{"value": "a", "color": "#000000"}, {"value": "a", "color": "#111111"}]},
            "style.by_attribute",
            "nur einmal",
        ),
        (
            {"attribute": "preis", "ranges": [{"max": 50, "color": "#000000", "label": "a"}, {"min": 40, "color": "#111111", "label": "b"}]},
            "style.by_attribute",
            "nicht überlappen",
        ),
        (
            {"attribute": "preis", "ranges": [{"min": 5, "max": 5, "color": "#000000", "label": "a"}]},
            "style.by_attribute.ranges.0",
            "min muss kleiner als max",
        ),
    ],
)  # fmt: skip
def test_wrong_styles_are_refused_with_file_and_field(
    by: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(DefinitionError) as err:
        parse_definition(_with_style(by), "proben.yaml")
    text = err.value.description
    assert f"proben.yaml: Feld '{field}'" in text and message in text, text


def test_style_fields_are_documented() -> None:
    docs = (PROJECT_ROOT / "docs" / "layers.md").read_text(encoding="utf-8")
    for model in (StyleByAttribute, StyleCategory, StyleRange):
        for name in model.model_fields:
            assert f"`{name}`" in docs, f"Feld {name} fehlt in docs/layers.md"
    karte = (PROJECT_ROOT / "docs" / "karte.md").read_text(encoding="utf-8")
    for word in ("BUERGERGIS_HOME_EXTENT", "BUERGERGIS_HOME_CENTER", "f=sld11", "f=mapbox"):
        assert word in karte, f"{word} fehlt in docs/karte.md"


# ---- one colour per value: legend, browser, MapLibre, list badge ---------------------------


def test_legend_and_browser_classes_follow_the_definition_in_both_languages() -> None:
    style = Style(by_attribute=_ranges())
    assert [(e.color, e.label) for e in legend(style)] == [
        ("#eeeeee", "unter 40 €"),
        ("#999999", "40–60 €"),
        ("#111111", "ab 60 €"),
    ]
    assert legend(style, "en")[2].label == "60 € and more"
    holz = parse_definition(HOLZ).style  # type: ignore[union-attr]
    assert [e.label for e in legend(holz, "en")] == ["available", "reserved", "sold"]
    classes = browser_classes(holz)
    assert classes is not None and classes["attribute"] == "status"
    assert {c["key"]: c["color"] for c in classes["categories"]} == STATUS_COLOURS
    other = Style(color="#123456", by_attribute=StyleByAttribute(
        attribute="n", categories=(StyleCategory(value=1, color="#000001"),), other_label="sonst"))  # fmt: skip
    assert legend(other)[-1].color == "#123456" and legend(other)[-1].label == "sonst"


def test_class_colour_of_values() -> None:
    ranges = _ranges()
    assert [class_color(ranges, v) for v in (10, 39.99, 40, 59, 60, 1e9)] == [
        "#eeeeee",
        "#eeeeee",
        "#999999",
        "#999999",
        "#111111",
        "#111111",
    ]
    assert class_color(ranges, None) is None and class_color(ranges, "teuer") is None
    holz = parse_definition(HOLZ).style.by_attribute  # type: ignore[union-attr]
    assert holz is not None
    assert class_color(holz, "reserviert") == "#e08214" and class_color(holz, "weg") is None
    flags = StyleByAttribute(
        attribute="ok",
        categories=(
            StyleCategory(value=True, color="#00ff00"),
            StyleCategory(value=False, color="#ff0000"),
        ),
    )
    assert class_color(flags, True) == "#00ff00" and class_color(flags, False) == "#ff0000"


def test_maplibre_expressions() -> None:
    holz = parse_definition(HOLZ).style  # type: ignore[union-attr]
    expr = color_expression(holz, "#5aae61")
    assert expr[:2] == ["match", ["to-string", ["get", "status"]]]
    assert expr[2:-1] == ["frei", "#1a9850", "reserviert", "#e08214", "verkauft", "#8c8c8c"]
    assert expr[-1] == "#5aae61"
    graduated = color_expression(Style(by_attribute=_ranges()), "#123456")
    assert graduated[0] == "case" and graduated[-1] == "#123456"
    assert ["all", [">=", ["get", "preis"], 40], ["<", ["get", "preis"], 60]] in graduated
    assert color_expression(Style(color="#abcdef"), "#abcdef") == "#abcdef"


def test_sld_is_se_1_1_with_one_rule_per_class() -> None:
    holz = parse_definition(HOLZ).style  # type: ignore[union-attr]
    root = etree.fromstring(sld.sld("holzverkauf", "Brennholz", holz, "polygon"))
    assert root.tag == f"{SLD_NS}StyledLayerDescriptor" and root.get("version") == "1.1.0"
    assert root.nsmap["se"] == "http://www.opengis.net/se"
    assert root.nsmap["ogc"] == "http://www.opengis.net/ogc"
    assert "StyledLayerDescriptor.xsd" in root.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation")  # fmt: skip
    assert root.findtext(f"{SLD_NS}NamedLayer/{SE}Name") == "holzverkauf"
    rules = root.findall(f".//{SLD_NS}UserStyle/{SE}FeatureTypeStyle/{SE}Rule")
    assert len(rules) == 4  # three classes and "other values"
    for rule, (value, colour) in zip(rules, STATUS_COLOURS.items(), strict=False):
        # SE 1.1 order: Name, Description, Filter, Symbolizer
        assert [etree.QName(c).localname for c in rule] == ["Name", "Description", "Filter", "PolygonSymbolizer"]  # fmt: skip
        assert rule.findtext(f"{OGC}Filter/{OGC}PropertyIsEqualTo/{OGC}PropertyName") == "status"
        assert rule.findtext(f"{OGC}Filter/{OGC}PropertyIsEqualTo/{OGC}Literal") == value
        assert rule.findtext(f"{SE}PolygonSymbolizer/{SE}Fill/{SE}SvgParameter[@name='fill']") == colour  # fmt: skip
    assert rules[-1].find(f"{SE}ElseFilter") is not None
    points = etree.fromstring(sld.sld("p", "P", Style(by_attribute=_ranges()), "point"))
    rule = points.findall(f".//{SE}Rule")[1]
    assert rule.find(f"{OGC}Filter/{OGC}And/{OGC}PropertyIsGreaterThanOrEqualTo") is not None
    mark = rule.find(f"{SE}PointSymbolizer/{SE}Graphic/{SE}Mark")
    assert mark is not None and mark.findtext(f"{SE}WellKnownName") == "circle"
    assert mark.findtext(f"{SE}Fill/{SE}SvgParameter") == "#999999"
    plain = etree.fromstring(sld.sld("wege", "Wege", Style(color="#123456", weight=3), "line"))
    rules = plain.findall(f".//{SE}Rule")
    assert len(rules) == 1 and rules[0].find(f"{OGC}Filter") is None
    stroke = rules[0].find(f"{SE}LineSymbolizer/{SE}Stroke")
    assert stroke is not None
    assert {p.get("name"): p.text for p in stroke} == {
        "stroke": "#123456",
        "stroke-width": "3",
        "stroke-linejoin": "round",
    }


# ---- published styles over HTTP (demo data) -------------------------------------------------


@pytest.fixture(scope="module")
def demo(demo_layers: list[str]) -> list[str]:
    return demo_layers


def test_maplibre_style_json_of_a_layer(client: FlaskClient, demo: list[str]) -> None:
    response = client.get("/ogc/collections/holzverkauf/styles/default?f=mapbox")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.mapbox.style+json"
    doc = response.get_json(force=True)
    assert doc["version"] == 8
    source = doc["sources"]["holzverkauf"]
    assert source["type"] == "vector"
    version = doc["metadata"]["buergergis:version"]  # versioned, immutable tile URLs (nginx)
    assert source["tiles"] == [
        f"http://localhost/tiles/v/holzverkauf@{version}/{{z}}/{{x}}/{{y}}.mvt"
    ]
    kinds = [layer["type"] for layer in doc["layers"]]
    assert kinds == ["fill", "line"]  # polygons: fill below its outline
    fill = doc["layers"][0]["paint"]["fill-color"]
    assert fill[2:-1] == ["frei", "#1a9850", "reserviert", "#e08214", "verkauft", "#8c8c8c"]
    assert all(layer["source-layer"] == "holzverkauf" for layer in doc["layers"])
    again = client.get(
        "/ogc/collections/holzverkauf/styles/default?f=mapbox",
        headers={"If-None-Match": response.headers["ETag"]},
    )
    assert again.status_code == 304
    kitas = client.get("/ogc/collections/kitas/styles/default").get_json(force=True)
    assert [layer["type"] for layer in kitas["layers"]] == ["circle"]


def test_sld_of_a_layer_and_the_styles_list(client: FlaskClient, demo: list[str]) -> None:
    response = client.get("/ogc/collections/fahrzeugverkauf/styles/default?f=sld11")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.ogc.sld+xml")
    root = etree.fromstring(response.data)
    assert root.get("version") == "1.1.0"
    literals = [e.text for e in root.iter(f"{OGC}Literal")]
    assert literals == ["verfügbar", "reserviert", "verkauft"]
    assert root.find(f".//{SE}PointSymbolizer") is not None
    accept = client.get(
        "/ogc/collections/fahrzeugverkauf/styles/default",
        headers={"Accept": "application/vnd.ogc.sld+xml;version=1.1"},
    )
    assert accept.data == response.data
    listing = client.get("/ogc/collections/holzverkauf/styles").get_json()
    links = listing["styles"][0]["links"]
    assert listing["default"] == "default"
    assert [link["href"].rsplit("?", 1)[1] for link in links] == ["f=mapbox", "f=sld11"]
    collection = client.get("/ogc/collections/holzverkauf?f=json").get_json()
    styles = [x for x in collection["links"] if x["rel"].endswith("/rel/ogc/1.0/styles")]
    assert [x["href"] for x in styles] == ["http://localhost/ogc/collections/holzverkauf/styles"]
    api = client.get("/ogc/api?f=json").get_json()
    assert "f" in [p.get("name") for p in api["paths"]["/collections/{collectionId}/styles/default"]["get"]["parameters"]]  # fmt: skip
    assert "/collections/{collectionId}/styles" in api["paths"]


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/ogc/collections/gibtsnicht/styles/default", 404),
        ("/ogc/collections/holzverkauf/styles/bunt", 404),
        ("/ogc/collections/holzverkauf/styles/default?f=qml", 400),
        ("/ogc/collections/holzverkauf/styles?f=xml", 400),
        ("/ogc/collections/gelaende/styles/default", 404),  # raster: no vector style
    ],
)
def test_style_errors(client: FlaskClient, demo: list[str], url: str, status: int) -> None:
    response = client.get(url)
    assert response.status_code == status


CAR_COLOURS = {"verfügbar": "#1a9850", "reserviert": "#e08214", "verkauft": "#8c8c8c"}
#: With lang=en the badge says the class's English legend label (label_en), as the legend.
EN_COLOURS = {"available": "#1a9850", "reserved": "#e08214", "sold": "#8c8c8c"}
#: The one badge markup (templates/_badge.html): an SVG dot whose fill is the class colour.
BADGE = re.compile(
    r'<span class="status-badge" data-color="(#[0-9a-f]{6})"><svg class="status-dot"[^>]*>'
    r'<circle [^>]*fill="(#[0-9a-f]{6})"[^>]*/></svg>([^<]+)</span>'
)


@pytest.mark.parametrize(
    ("path", "colours"),
    [
        ("/liste/holzverkauf?alle=1", STATUS_COLOURS),
        ("/holzverkauf", STATUS_COLOURS),
        ("/holzverkauf?lang=en", EN_COLOURS),
        ("/liste/holzverkauf?alle=1&lang=en", EN_COLOURS),
        ("/liste/fahrzeugverkauf", CAR_COLOURS),
        ("/dienste/fahrzeugverkauf", CAR_COLOURS),
        ("/dienste/fahrzeugverkauf?lang=en", EN_COLOURS),
    ],
)
def test_list_and_service_pages_show_a_status_badge_in_the_map_colour(
    client: FlaskClient, demo: list[str], path: str, colours: dict[str, str]
) -> None:
    response = client.get(path)
    assert response.status_code == 200, response.data
    html = response.get_data(as_text=True)
    badges = BADGE.findall(html)
    assert badges, "keine Statusplakette"
    for marked, fill, text in badges:
        assert marked == fill == colours[text], (text, fill)
    assert len({text for _m, _f, text in badges}) >= 2  # more than one class on the page
    # the same colours as on the map; no second mechanism (inline style, status-* classes)
    assert 'style="--c' not in html and "status-frei" not in html


def test_city_map_legend_lists_the_classes(client: FlaskClient, demo: list[str]) -> None:
    html = client.get("/").get_data(as_text=True)
    legend_html = re.search(r'<ul class="legend-classes" data-legend="holzverkauf">(.*?)</ul>', html, re.S)  # fmt: skip
    assert legend_html is not None
    assert re.findall(r"--c: (#[0-9a-f]{6})[^>]*></span>(\w+)", legend_html.group(1)) == [
        (colour, text) for text, colour in STATUS_COLOURS.items()
    ]
    english = client.get("/?lang=en").get_data(as_text=True)
    assert ">available</li>" in english


# ---- "In der Nähe": service layers with a human title only ----------------------------------


def _record(layer_id: str, title: str, geometry: str = "Point") -> LayerRecord:
    definition = VectorLayer(
        id=layer_id,
        title=title,
        source=Source(path="x.geojson"),
        attributes=(Attribute(name="name"),),
    )
    return LayerRecord(
        definition=definition,
        origin="import",
        version=1,
        feature_count=3,
        geometry_type=geometry,
        bbox=(139.7, 35.6, 139.8, 35.7),
        storage_srid=25832,
        source_checksum=None,
        loaded_at=None,
        report={},
        data_table=None,
        raster_path=None,
    )


def test_nearest_offers_only_service_layers_with_a_human_title() -> None:
    layers = [
        map_layer(_record("kitas", "Kindertagesstätten")),
        map_layer(_record("tokio_test", "tokio_test")),  # a staff import: raw id as title
        map_layer(_record("buergeramt", "buergeramt")),  # a service layer, but no human title
        map_layer(_record("baeume", "Bäume")),  # no service role
        map_layer(_record("adressen", "Adressen")),  # address points: not "in der Nähe"
        map_layer(_record("holzverkauf", "Brennholz", "MultiPolygon")),
    ]
    roles = {"kitas": "kitas", "buergeramt": "buergeramt", "adressen": "adressen",
             "holzverkauf": "holzverkauf"}  # fmt: skip
    choices = nearest_choices(layers, roles, ("status", "frei", "Nächstes freies Los"))
    assert choices == [
        NearestChoice("kitas", "Kindertagesstätten"),
        NearestChoice("holzverkauf", "Nächstes freies Los", ("status", "frei")),
    ]


# ---- the city view and data far away ----------------------------------------------------------


def test_home_view_settings_are_validated() -> None:
    settings = load_settings(home_center="51.5,7.4", home_extent="7.3,51.4,7.6,51.6")
    assert settings.home.center == (51.5, 7.4)
    assert settings.home.extent == (7.3, 51.4, 7.6, 51.6)
    for bad in ({"home_extent": "9,52,8,53"}, {"home_extent": "1,2"}, {"home_center": "x,y"}):
        with pytest.raises(ValueError, match="home_"):
            load_settings(**bad)


def test_city_share_counts_features_inside_the_extent() -> None:
    extent = (9.26, 52.04, 9.48, 52.17)
    hameln = shapely.points([[9.35, 52.10], [9.36, 52.11], [139.7, 35.7]])
    check = city_share(np.asarray(hameln), 4326, extent)
    assert check.count == 3 and round(check.share, 3) == 0.667 and not check.mostly_outside
    # the same points in EPSG:25832 (the storage CRS)
    from pyproj import Transformer

    to_utm = Transformer.from_crs(4326, 25832, always_xy=True)
    utm = shapely.transform(hameln, lambda xy: np.column_stack(to_utm.transform(xy[:, 0], xy[:, 1])))  # fmt: skip
    assert round(city_share(np.asarray(utm), 25832, extent).share, 3) == 0.667
    tokyo = city_share(np.asarray(shapely.points([[139.7, 35.7], [139.8, 35.6]])), 4326, extent)
    assert tokyo.mostly_outside and "Nur 0%" in tokyo.message
    assert not city_share(np.asarray([], dtype=object), 4326, extent).mostly_outside


def far_geojson(path: Path) -> Path:
    """Three points around Tokyo (a test file from elsewhere)."""
    features = [
        {
            "type": "Feature",
            "properties": {"nr": f"t{i}", "name": f"Tokio {i}"},
            "geometry": {"type": "Point", "coordinates": [139.70 + i / 100, 35.68]},
        }
        for i in range(3)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_import_warns_when_data_lie_outside_the_city(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    from buergergis.cli import cli

    source = far_geojson(tmp_path / "tokio_import.geojson")
    env = {"DATABASE_URL": str(settings.database_url), "BUERGERGIS_VAR_DIR": str(settings.var)}
    args = ["import", str(source), "--id", "tokio-import", "--private"]
    result = CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Warnung: Nur 0% der Objekte liegen im Stadtgebiet" in result.output
    hameln = tmp_path / "hameln_import.geojson"
    hameln.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"nr": "h1"},
         "geometry": {"type": "Point", "coordinates": [9.3563, 52.1037]}}]}))  # fmt: skip
    args = ["import", str(hameln), "--id", "hameln-import", "--private"]
    result = CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
    assert result.exit_code == 0 and "Warnung" not in result.output


def test_one_number_format_for_lists_pages_and_popups() -> None:
    from buergergis.maps.listing import format_value
    from buergergis.services.formatting import fmt, number

    cases = {42.5: ("42,5", "42.5"), 57550.0: ("57.550", "57,550"), 2015: ("2015", "2015"),
             85000: ("85.000", "85,000"), 1234.567: ("1234,57", "1234.57"), 100.0: ("100", "100"),
             -12345.5: ("-12.345,5", "-12,345.5")}  # fmt: skip
    for value, (de, en) in cases.items():
        assert (number(value), number(value, "en")) == (de, en)
        assert fmt(value) == de
        assert format_value(value, "de", ("ja", "nein")).text == de
        assert format_value(value, "en", ("yes", "no")).text == en
    # a unit follows after a no-break space; the sort key stays the number
    cell = format_value(57550.0, "de", ("ja", "nein"), "€")
    assert (cell.text, cell.sort_key) == ("57.550\u00a0€", "57550.0")
    assert format_value(42.5, "en", ("yes", "no"), "stacked m³").text == "42.5\u00a0stacked m³"
    assert (fmt(57550.0, "€"), fmt(57550.0, "€", "en")) == ("57.550\u00a0€", "57,550\u00a0€")
    assert fmt(None, "€") == "" and format_value(None, "de", ("ja", "nein"), "€").text == ""
    assert format_value(True, "de", ("ja", "nein"), "€").text == "ja"


def test_units_on_list_pages_and_service_pages(client: FlaskClient, demo: list[str]) -> None:
    """Every page a citizen reads shows "57.550 €" (no-break space), the column titles carry no
    unit, and list pages still sort by the number (data-sort)."""
    nbsp = "\u00a0"
    html = client.get("/liste/fahrzeugverkauf").get_data(as_text=True)
    prices = re.findall(r'<td data-sort="([0-9.]+)" data-label="Preis">\s*([^<]+?)\s*</td>', html)
    assert prices, "keine Preise"
    for key, text in prices:
        assert text.endswith(nbsp + "€") and float(key) >= 0, text
    assert re.search(r'data-label="Kilometerstand">\s*[0-9.]+' + nbsp + "km", html)
    assert "Preis (€)" not in html
    english = client.get("/liste/holzverkauf?lang=en&alle=1").get_data(as_text=True)
    assert nbsp + "stacked m³<" in english and "Price per stacked m³" in english
    lots = client.get("/holzverkauf").get_data(as_text=True)
    assert re.search(r'data-label="Menge">[0-9.,]+' + nbsp + "rm</td>", lots)
    assert re.search(r'data-label="Preis je Raummeter">[0-9.,]+' + nbsp + "€</td>", lots)
    assert re.search(r'data-label="Fläche">[0-9.,]+' + nbsp + "ha</td>", lots)
    lot_data = json.loads(re.search(r'id="lot-data">(.*?)</script>', lots, re.S).group(1))  # type: ignore[union-attr]
    assert all(f["properties"]["preis_rm"].endswith(nbsp + "€") for f in lot_data)
    assert {f["properties"]["@color"] for f in lot_data} <= set(STATUS_COLOURS.values())
    lots_en = client.get("/holzverkauf?lang=en").get_data(as_text=True)
    assert re.search(r'data-label="Volume">[0-9.,]+' + nbsp + "stacked m³</td>", lots_en)
    cars = client.get("/dienste/fahrzeugverkauf").get_data(as_text=True)
    assert re.search(r'data-label="Preis">[0-9.,]+' + nbsp + "€</td>", cars)
    car = re.search(r'href="(/anfrage/fahrzeugverkauf/[^"]+)"', cars).group(1)  # type: ignore[union-attr]
    form = client.get(car).get_data(as_text=True)
    assert re.search(r"<dt>Preis</dt><dd>[0-9.,]+" + nbsp + "€</dd>", form)


def test_upload_doctor_flags_data_outside_the_city(client: FlaskClient, editor: Any) -> None:
    from tests.admin_support import geojson_bytes, point, upload

    def preview(features: list[dict[str, Any]], name: str) -> dict[str, Any]:
        body = upload(client, editor, geojson_bytes(features), name).get_json()
        response = client.get(body["links"]["preview"], headers=editor.bearer)
        assert response.status_code == 200, response.data
        result: dict[str, Any] = response.get_json()
        return result

    far = preview([point(139.70 + i / 100, 35.68, nr=i) for i in range(4)], "tokio.geojson")
    assert far["city"]["mostly_outside"] and far["city"]["in_city_share"] == 0
    assert any("liegen im Stadtgebiet" in w for w in far["warnings"])
    near = preview([point(9.3563 + i / 1000, 52.1037, nr=i) for i in range(4)], "markt.geojson")
    assert near["city"] == {
        "in_city_share": 1.0,
        "mostly_outside": False,
        "message": "100% der Objekte liegen im Stadtgebiet.",
    }
    assert not any("Stadtgebiet" in w for w in near["warnings"])
