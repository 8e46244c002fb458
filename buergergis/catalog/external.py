"""The ``extern`` block of a layer definition: another authority's WMS, WMTS or XYZ service.

Only the shape is checked here; whether the host is allowed is a setting
(``BUERGERGIS_EXTERN_HOSTS``) and is checked where definitions meet settings
(:func:`buergergis.extern.registry.check_host`).
"""

from __future__ import annotations

import re
import string
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: Placeholders of tile URL templates (XYZ and RESTful WMTS in a Web-Mercator matrix set).
XYZ_KEYS = frozenset({"z", "x", "y"})
WMTS_KEYS = frozenset({"TileMatrix", "TileRow", "TileCol"})
WMTS_OPTIONAL = frozenset({"Layer", "Style", "TileMatrixSet"})
FIELD_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.:-]{0,79}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def placeholders(template: str) -> set[str]:
    """The ``{name}`` placeholders of a template (``ValueError`` for broken braces)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


class FeatureInfo(_Strict):
    """GetFeatureInfo of an external WMS, asked by "Was gilt hier?" and „Mein Ort"."""

    format: Literal["application/vnd.ogc.gml", "application/json", "text/plain"] = Field(
        default="application/vnd.ogc.gml",
        description="INFO_FORMAT asked for (GML and GeoJSON are read field by field).",
    )
    layers: tuple[str, ...] = Field(
        default=(), description="QUERY_LAYERS; default: the layers of the service."
    )
    template: str | None = Field(
        default=None,
        max_length=300,
        description="Answer text with {feld} placeholders, e.g. 'liegt im festgesetzten "
        "Überschwemmungsgebiet der {gewaesser}'; one line per feature at the point.",
    )
    fields: tuple[str, ...] = Field(
        default=(),
        description="Without template: these fields as 'feld: wert' (all when empty).",
    )
    empty: str | None = Field(
        default=None,
        max_length=300,
        description="Text when the service finds nothing at the point; none: the layer is left out.",
    )

    @field_validator("template")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            names = placeholders(value)
        except ValueError:
            raise ValueError("template: geschweifte Klammern passen nicht zusammen") from None
        bad = sorted(n for n in names if not re.match(FIELD_PATTERN, n))
        if bad:
            raise ValueError(f"template: ungültige Platzhalter {', '.join(bad)}")
        return value


class ExternalService(_Strict):
    """Where the tiles or images come from: a WMS, a RESTful WMTS or an XYZ tile service."""

    type: Literal["wms", "wmts", "xyz"] = Field(description="Kind of the upstream service.")
    url: str = Field(
        max_length=1000,
        description="WMS: base URL. WMTS: RESTful template with {TileMatrix}, {TileRow}, "
        "{TileCol} (optionally {Layer}, {Style}, {TileMatrixSet}). XYZ: template with {z}/{x}/{y}.",
    )
    layers: tuple[str, ...] = Field(
        default=(), description="WMS: layer names (LAYERS). WMTS: the one layer ({Layer})."
    )
    style: str = Field(default="", max_length=100, description="WMS STYLES / WMTS {Style}.")
    matrix_set: str = Field(
        default="GoogleMapsCompatible",
        max_length=100,
        description="WMTS: {TileMatrixSet}, a Web-Mercator set with zoom levels as matrix ids.",
    )
    format: Literal["image/png", "image/jpeg"] = Field(
        default="image/png", description="Image format asked for."
    )
    version: Literal["1.1.1", "1.3.0"] = Field(default="1.3.0", description="WMS version.")
    legend: bool = Field(
        default=False, description="WMS: the service offers GetLegendGraphic (shown in the legend)."
    )
    featureinfo: FeatureInfo | None = Field(
        default=None, description="WMS: ask GetFeatureInfo for „Was gilt hier?“ and „Mein Ort“."
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("url: eine http- oder https-Adresse angeben")
        if parts.username or parts.password:
            raise ValueError("url: keine Zugangsdaten in der Adresse")
        return value

    @property
    def host(self) -> str:
        """The upstream host (lowercase, without port)."""
        return (urlsplit(self.url).hostname or "").lower()

    @property
    def netloc(self) -> str:
        """Host and port as in the URL (``host:port``)."""
        parts = urlsplit(self.url)
        return f"{self.host}:{parts.port}" if parts.port else self.host

    @model_validator(mode="after")
    def _per_type(self) -> ExternalService:
        if self.type == "wms":
            if not self.layers:
                raise ValueError("layers: ein WMS braucht mindestens einen Layernamen")
            return self
        if self.featureinfo is not None or self.legend:
            raise ValueError("featureinfo und legend gibt es nur für type: wms")
        try:
            names = placeholders(self.url)
        except ValueError:
            raise ValueError("url: geschweifte Klammern passen nicht zusammen") from None
        needed = XYZ_KEYS if self.type == "xyz" else WMTS_KEYS
        allowed = needed | (WMTS_OPTIONAL if self.type == "wmts" else frozenset())
        if not needed <= names or not names <= allowed:
            raise ValueError(
                f"url: ein {self.type.upper()}-Muster braucht genau die Platzhalter "
                + ", ".join("{" + n + "}" for n in sorted(needed))
                + (
                    " (erlaubt außerdem {Layer}, {Style}, {TileMatrixSet})"
                    if self.type == "wmts"
                    else ""
                )
            )
        if self.type == "wmts" and "Layer" in names and len(self.layers) != 1:
            raise ValueError("layers: ein WMTS mit {Layer} braucht genau einen Layernamen")
        return self
