"""Typed layer definitions (one YAML file per layer in ``layers/``).

Unknown keys are refused (``extra="forbid"``), ids are lowercase slugs that cannot collide
with route names, and every SQL identifier BürgerGIS ever uses is derived from these
validated models.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ID_PATTERN = r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$"
ID_MAX_LENGTH = 40
ATTRIBUTE_PATTERN = r"^[a-z_][a-z0-9_]{0,62}$"

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

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value in RESERVED_COLUMNS:
            raise ValueError(f"'{value}' ist ein reservierter Spaltenname")
        return value

    @property
    def label(self) -> str:
        """German label, falling back to the name."""
        return self.title or self.name


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

    @model_validator(mode="after")
    def _references(self) -> VectorLayer:
        if self.attributes is None:
            return self
        names = [a.name for a in self.attributes]
        if len(set(names)) != len(names):
            raise ValueError("Attributnamen müssen eindeutig sein")
        known = set(names)
        refs = [*self.popup, *self.search]
        if self.style.label:
            refs.append(self.style.label)
        if self.temporal:
            refs += [self.temporal.start, *([self.temporal.end] if self.temporal.end else [])]
        unknown = sorted({r for r in refs if r not in known})
        if unknown:
            raise ValueError(f"unbekannte Attribute referenziert: {', '.join(unknown)}")
        return self


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


def slugify(text: str) -> str:
    """Turn a file name or title into a valid layer id candidate."""
    table = str.maketrans(
        {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"}
    )
    slug = re.sub(r"[^a-z0-9]+", "-", text.translate(table).lower()).strip("-")
    if not slug or not slug[0].isalpha():
        slug = "layer-" + slug
    return slug[:ID_MAX_LENGTH].rstrip("-")
