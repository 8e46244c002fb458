"""Typed layer definitions (one YAML file per layer in ``layers/``).

Unknown keys are refused (``extra="forbid"``), ids are lowercase slugs that cannot collide
with route names, and every SQL identifier BürgerGIS ever uses is derived from these
validated models.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)

from buergergis.catalog.external import ExternalService
from buergergis.catalog.service import Service, check_service

ID_PATTERN = r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$"
ID_MAX_LENGTH = 40
ATTRIBUTE_PATTERN = r"^[a-z_][a-z0-9_]{0,62}$"
#: A unit after numbers: short, no digits at the start, no markup or control characters.
UNIT_PATTERN = r"^[^\s\d<>&\"'`\x00-\x1f][^<>&\"'`\x00-\x1f]{0,11}$"

#: Words used as route segments or reserved by the OGC API; a layer id must not be one.
RESERVED_IDS = frozenset(
    {
        "admin",
        "api",
        "collections",
        "conformance",
        "queryables",
        "items",
        "tiles",
        "tilematrixsets",
        "tilematrixset",
        "ogc",
        "embed",
        "embeds",
        "liste",
        "list",
        "search",
        "suche",
        "healthz",
        "readyz",
        "static",
        "vendor",
        "login",
        "logout",
        "oembed",
        "feeds",
        "feed",
        "download",
        "downloads",
        "bericht",
        "mein-ort",
        "report",
        "api-docs",
        "map",
        "karte",
        "help",
        "hilfe",
        "favicon",
        "robots",
        "metrics",
        "openapi",
        "tilejson",
        "layers",
        "catalog",
        "health",
        "new",
        "upload",
        "uploads",
    }
)
#: Column names BürgerGIS uses itself in every layer table.
RESERVED_COLUMNS = frozenset({"gid", "fid", "geom", "geom_3857", "_search"})

CATEGORIES = (
    "Verwaltung",
    "Familie & Bildung",
    "Freizeit",
    "Wald & Natur",
    "Arbeit",
    "Mobilität",
    "Planen & Bauen",
    "Umwelt",
    "Basisdaten",
    "Sonstiges",
)

AttributeType = Literal["text", "integer", "float", "boolean", "date", "datetime", "json"]
#: Column type of each attribute type in every layer table (the loader creates them so).
COLUMN_SQL_TYPES: dict[str, str] = {
    "text": "text",
    "integer": "bigint",
    "float": "double precision",
    "boolean": "boolean",
    "date": "date",
    "datetime": "timestamptz",
    "json": "jsonb",
}
SourceFormat = Literal["shapefile", "gpkg", "geojson", "flatgeobuf", "filegdb", "csv", "gtiff"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Source(_Strict):
    """Where the data comes from and how to read it."""

    path: str = Field(
        description="File, folder or .zip; relative paths are relative to the project root."
    )
    format: SourceFormat | None = Field(
        default=None, description="Detected from the file when omitted."
    )
    layer: str | None = Field(
        default=None, description="Layer name in multi-layer files (GeoPackage, zip)."
    )
    crs: str | None = Field(
        default=None, description="CRS override, e.g. 'EPSG:25832', when the source has none."
    )
    encoding: str | None = Field(default=None, description="Text encoding override, e.g. 'cp1252'.")
    x: str | None = Field(
        default=None, description="CSV: column with the x coordinate (longitude/easting)."
    )
    y: str | None = Field(
        default=None, description="CSV: column with the y coordinate (latitude/northing)."
    )
    wkt: str | None = Field(default=None, description="CSV: column with WKT geometries.")

    @model_validator(mode="after")
    def _csv_columns(self) -> Source:
        if (self.x is None) != (self.y is None):
            raise ValueError("x und y müssen zusammen angegeben werden")
        if self.wkt and self.x:
            raise ValueError("entweder x/y oder wkt angeben, nicht beides")
        return self


class Attribute(_Strict):
    """A published attribute: source column, public name, type and labels."""

    name: str = Field(pattern=ATTRIBUTE_PATTERN, description="Published (column) name.")
    source: str | None = Field(default=None, description="Source column; defaults to name.")
    type: AttributeType = Field(default="text")
    title: str | None = Field(default=None, description="German label.")
    title_en: str | None = Field(default=None, description="English label.")
    unit: str | None = Field(
        default=None,
        pattern=UNIT_PATTERN,
        description="Unit shown after the number for citizens, e.g. '€', 'rm', 'km', '€/rm' "
        "(integer/float only; at most 12 characters).",
    )
    unit_en: str | None = Field(
        default=None, pattern=UNIT_PATTERN, description="English unit; default: `unit`."
    )

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value in RESERVED_COLUMNS:
            raise ValueError(f"'{value}' ist ein reservierter Spaltenname")
        return value

    @model_validator(mode="after")
    def _unit_for_numbers(self) -> Attribute:
        if (self.unit or self.unit_en) and self.type not in ("integer", "float"):
            raise ValueError("unit gibt es nur für Zahlen (type integer oder float)")
        if self.unit_en and not self.unit:
            raise ValueError("unit_en nur zusammen mit unit")
        return self

    @property
    def label(self) -> str:
        """German label, falling back to the name."""
        return self.title or self.name

    def unit_in(self, lang: str) -> str | None:
        """The unit shown after values in ``lang`` (``None``: no unit)."""
        return (self.unit_en if lang == "en" else None) or self.unit


HEX_COLOR = r"^#[0-9a-fA-F]{6}$"


class StyleCategory(_Strict):
    """One value of a categorised style: features with this value get this colour."""

    value: StrictStr | StrictInt | StrictBool = Field(description="Attribute value (exact).")
    color: str = Field(pattern=HEX_COLOR, description="Colour `#rrggbb` of these features.")
    label: str | None = Field(
        default=None, max_length=80, description="Legend label (German); default: the value."
    )
    label_en: str | None = Field(default=None, max_length=80, description="Legend label (English).")

    @property
    def key(self) -> str:
        """The value as text, as the browser and MapLibre compare it (``true``, ``42``)."""
        return value_key(self.value)


class StyleRange(_Strict):
    """One class of a graduated style: ``min`` ≤ value < ``max`` (an open end may be omitted)."""

    min: float | None = Field(default=None, description="Lower bound (inclusive).")
    max: float | None = Field(default=None, description="Upper bound (exclusive).")
    color: str = Field(pattern=HEX_COLOR, description="Colour `#rrggbb` of this class.")
    label: str = Field(min_length=1, max_length=80, description="Legend label (German).")
    label_en: str | None = Field(default=None, max_length=80, description="Legend label (English).")

    @model_validator(mode="after")
    def _bounds(self) -> StyleRange:
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise ValueError("min muss kleiner als max sein")
        return self


class StyleByAttribute(_Strict):
    """Colour by an attribute: ``categories`` (value → colour) or ``ranges`` (numbers)."""

    attribute: str = Field(pattern=ATTRIBUTE_PATTERN, description="Attribute that decides.")
    categories: tuple[StyleCategory, ...] = Field(
        default=(), description="Categorised: one entry per value, in legend order."
    )
    ranges: tuple[StyleRange, ...] = Field(
        default=(), description="Graduated: ascending, non-overlapping number ranges."
    )
    other_label: str | None = Field(
        default=None,
        max_length=80,
        description="Legend label of all other values (drawn in `style.color`); none: not listed.",
    )
    other_label_en: str | None = Field(default=None, max_length=80)

    @model_validator(mode="after")
    def _one_kind(self) -> StyleByAttribute:
        if bool(self.categories) == bool(self.ranges):
            raise ValueError("entweder categories oder ranges angeben (genau eines)")
        keys = [c.key for c in self.categories]
        if len(set(keys)) != len(keys):
            raise ValueError("jeder Wert darf in categories nur einmal vorkommen")
        previous: float | None = None
        for index, item in enumerate(self.ranges):
            low = item.min if item.min is not None else float("-inf")
            if index > 0 and item.min is None:
                raise ValueError("ranges: nur die erste Klasse darf ohne min sein")
            if index < len(self.ranges) - 1 and item.max is None:
                raise ValueError("ranges: nur die letzte Klasse darf ohne max sein")
            if previous is not None and low < previous:
                raise ValueError("ranges müssen aufsteigend sein und dürfen sich nicht überlappen")
            previous = item.max
        return self


def value_key(value: str | int | float | bool) -> str:
    """A category value as text: ``true``/``false``, integers without ``.0``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class Style(_Strict):
    """How the layer is drawn on the city map and in tiles."""

    color: str = Field(default="#1f6fb2", pattern=r"^#[0-9a-fA-F]{6}$")
    fill: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")
    fill_opacity: float = Field(default=0.35, ge=0, le=1)
    weight: float = Field(default=2, ge=0, le=20)
    icon: str | None = Field(default=None, pattern=r"^[a-z0-9-]{1,40}$", description="Icon name.")
    label: str | None = Field(default=None, description="Attribute shown as label.")
    cluster: bool = Field(default=False, description="Cluster markers of dense point layers.")
    tiles: bool = Field(default=False, description="Draw as vector tiles instead of GeoJSON.")
    by_attribute: StyleByAttribute | None = Field(
        default=None,
        description="Colour features by an attribute (legend classes); other values: `color`.",
    )


class Temporal(_Strict):
    """Temporal extent of each feature: an instant (start) or an interval (start, end)."""

    start: str = Field(pattern=ATTRIBUTE_PATTERN)
    end: str | None = Field(default=None, pattern=ATTRIBUTE_PATTERN)


class _LayerBase(_Strict):
    id: str = Field(pattern=ID_PATTERN, max_length=ID_MAX_LENGTH)
    title: str = Field(min_length=1, max_length=200, description="German title.")
    title_en: str | None = Field(default=None, max_length=200)
    description: str = Field(default="", max_length=5000)
    description_en: str | None = None
    description_easy: str | None = Field(
        default=None,
        max_length=3000,
        description="Leichte Sprache: the description in plain German, one sentence per line.",
    )
    description_easy_en: str | None = Field(
        default=None, max_length=3000, description="Plain-language (easy read) description."
    )
    category: str = Field(default="Sonstiges", max_length=60)
    public: bool = True
    license: str = Field(default="dl-de/by-2-0", description="Licence name or URL.")
    attribution: str = Field(default="Stadt Hameln", description="Attribution shown with the data.")
    keywords: tuple[str, ...] = ()
    data_date: str | None = Field(
        default=None, description="Datenstand (ISO date); load time if omitted."
    )
    minzoom: int = Field(default=0, ge=0, le=24)
    maxzoom: int = Field(default=22, ge=0, le=24)

    @field_validator("id")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value in RESERVED_IDS:
            raise ValueError(f"'{value}' ist ein reservierter Name und kann keine Layer-ID sein")
        return value

    @model_validator(mode="after")
    def _zoom_range(self) -> _LayerBase:
        if self.minzoom > self.maxzoom:
            raise ValueError("minzoom darf nicht größer als maxzoom sein")
        return self


class VectorLayer(_LayerBase):
    """A vector layer loaded into a PostGIS table."""

    kind: Literal["vector"] = "vector"
    source: Source
    id_column: str | None = Field(
        default=None, description="Source column with stable feature ids."
    )
    attributes: tuple[Attribute, ...] | None = Field(
        default=None, description="Published attributes; all source columns when omitted."
    )
    style: Style = Style()
    popup: tuple[str, ...] = Field(default=(), description="Attributes shown in popups.")
    search: tuple[str, ...] = Field(default=(), description="Attributes searched by /search.")
    temporal: Temporal | None = None
    service: Service | None = Field(
        default=None, description="City-service behaviour (status, requests, editing)."
    )

    @model_validator(mode="after")
    def _references(self) -> VectorLayer:
        if self.attributes is None:
            if self.service is not None:
                raise ValueError("service braucht eine explizite Attributliste (attributes)")
            return self
        if self.service is not None:
            check_service(self.service, {a.name: a.type for a in self.attributes})
        names = [a.name for a in self.attributes]
        if len(set(names)) != len(names):
            raise ValueError("Attributnamen müssen eindeutig sein")
        known = set(names)
        refs = [*self.popup, *self.search]
        if self.style.label:
            refs.append(self.style.label)
        if self.style.by_attribute:
            refs.append(self.style.by_attribute.attribute)
        if self.temporal:
            refs += [self.temporal.start, *([self.temporal.end] if self.temporal.end else [])]
        unknown = sorted({r for r in refs if r not in known})
        if unknown:
            raise ValueError(f"unbekannte Attribute referenziert: {', '.join(unknown)}")
        by = self.style.by_attribute
        kind = next(a.type for a in self.attributes if by and a.name == by.attribute) if by else ""
        if by and by.ranges and kind not in {"integer", "float"}:
            raise ValueError(
                f"style.by_attribute.ranges: Attribut '{by.attribute}' ist vom Typ '{kind}', "
                "Zahlenklassen brauchen integer oder float"
            )
        if by and by.categories and kind in _CATEGORY_TYPES:
            wrong = [c.key for c in by.categories if not isinstance(c.value, _CATEGORY_TYPES[kind])]
            if wrong:
                raise ValueError(
                    f"style.by_attribute.categories: Werte {', '.join(wrong)} passen nicht zum "
                    f"Typ '{kind}' des Attributs '{by.attribute}'"
                )
        return self


#: Python types a category value may have for each attribute type (others: not checked).
_CATEGORY_TYPES: dict[str, type | tuple[type, ...]] = {"text": str, "boolean": bool, "integer": int}


class RasterOptions(_Strict):
    """How a one-band raster is rendered (RGB rasters are passed through)."""

    mode: Literal["colormap", "hillshade", "rgb"] = "colormap"
    colormap: str = Field(
        default="terrain", pattern=r"^[a-z0-9_]+$", description="rio-tiler colormap name."
    )
    rescale: tuple[float, float] | None = Field(
        default=None, description="Value range for the colour ramp."
    )
    azimuth: float = Field(default=315, ge=0, le=360)
    altitude: float = Field(default=45, ge=0, le=90)
    z_factor: float = Field(default=1.0, gt=0)
    opacity: float = Field(default=0.7, ge=0, le=1)


class RasterLayer(_LayerBase):
    """A raster layer converted to a Cloud-Optimized GeoTIFF at load time."""

    kind: Literal["raster"]
    source: Source
    raster: RasterOptions = RasterOptions()


LayerDefinition = Annotated[VectorLayer | RasterLayer, Field(discriminator="kind")]


class ExternalLayer(_LayerBase):
    """A layer of another authority's WMS, WMTS or XYZ service, proxied and cached by
    BürgerGIS (the citizen's browser never contacts the upstream host; issue 16)."""

    kind: Literal["external"]
    extern: ExternalService
    opacity: float = Field(default=0.8, ge=0, le=1, description="Opacity on the map.")


#: Every kind a file in ``layers/`` may have: loaded layers and external services (issue 16).
AnyDefinition = Annotated[VectorLayer | RasterLayer | ExternalLayer, Field(discriminator="kind")]


def slugify(text: str) -> str:
    """Turn a file name or title into a valid layer id candidate."""
    table = str.maketrans(
        {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"}
    )
    slug = re.sub(r"[^a-z0-9]+", "-", text.translate(table).lower()).strip("-")
    if not slug or not slug[0].isalpha():
        slug = "layer-" + slug
    return slug[:ID_MAX_LENGTH].rstrip("-")
