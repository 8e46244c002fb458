"""The Upload-Doktor: a preview of an upload before anything is published.

It runs the one load pipeline (``prepare_vector``) on the staged file, without touching the
database, and explains what it found: the CRS and whether the data lie in Hameln, the text
encoding with sample values, the geometry report, the first rows, a map, and for a
replacement the difference to the live layer.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely
from shapely.geometry import mapping
from sqlalchemy import Engine

from buergergis.admin.crs import CrsDecision, area_check, decide_crs
from buergergis.admin.diff import Diff, compute_diff
from buergergis.admin.uploads import Dataset, Upload
from buergergis.catalog.models import Source, VectorLayer
from buergergis.errors import InvalidParameter, LoadError, NotFound
from buergergis.ingest.encoding import normalise_codec, text_file_encoding
from buergergis.ingest.extent import ExtentCheck, city_share
from buergergis.ingest.normalise import parse_crs
from buergergis.ingest.pipeline import prepare_vector
from buergergis.ingest.report import LoadReport
from buergergis.ingest.sources import workdir
from buergergis.ingest.write import PreparedLayer
from buergergis.settings import Settings
from buergergis.store.catalog import LayerRecord, get_layer

ENCODINGS = {
    "utf-8": "UTF-8",
    "cp1252": "Windows-1252 (ANSI, Westeuropa)",
    "iso8859-15": "ISO-8859-15 (Latin-9)",
    "iso8859-1": "ISO-8859-1 (Latin-1)",
    "cp850": "DOS-Codepage 850",
    "cp437": "DOS-Codepage 437",
    "cp1250": "Windows-1250 (Mitteleuropa)",
}
_MOJIBAKE = re.compile("[ÃÂ][\u0080-\u00bf\u0152-\u2122]|\ufffd|[\u2500-\u257f]")
PREVIEW_ROWS = 20
MAP_FEATURES = 1000


@dataclass(frozen=True)
class PreviewOptions:
    """How to read an upload: dataset, encoding and CRS overrides, CSV columns, replace target."""

    dataset: str | None = None
    encoding: str | None = None
    crs: str | None = None
    x: str | None = None
    y: str | None = None
    target: str | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> PreviewOptions:
        """Validated options from query parameters, form fields or JSON (empty = not set)."""
        values = {k: (str(data.get(k) or "").strip() or None) for k in cls.__dataclass_fields__}
        if values["encoding"] and normalise_codec(values["encoding"]) is None:
            raise InvalidParameter(f"Unbekannte Zeichenkodierung: {values['encoding']}")
        if values["crs"]:
            try:
                parse_crs(values["crs"])
            except LoadError as exc:
                raise InvalidParameter(exc.description) from None
        if bool(values["x"]) != bool(values["y"]):
            raise InvalidParameter("Bitte beide Koordinatenspalten (x und y) wählen.")
        return cls(**values)

    def query(self) -> dict[str, str]:
        """The set options as query parameters."""
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass
class Preview:
    """Everything the Upload-Doktor shows."""

    dataset: Dataset
    options: PreviewOptions
    count: int
    geometry_type: str
    report: LoadReport
    crs: CrsDecision
    area_share: float
    area_status: str
    area_message: str
    encoding: dict[str, Any]
    attributes: list[dict[str, str]]
    rows: list[list[str]]
    geojson: dict[str, Any]
    diff: Diff | None = None
    warnings: list[str] = field(default_factory=list)
    city: ExtentCheck | None = None  # share inside the configured city extent

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the API."""
        return {
            "dataset": self.dataset.key,
            "options": self.options.query(),
            "feature_count": self.count,
            "geometry_type": self.geometry_type,
            "crs": {
                "detected": self.crs.detected,
                "used": self.crs.used or self.crs.detected,
                "suggested": list(self.crs.suggestions),
                "in_area_share": round(self.area_share, 4),
                "status": self.area_status,
                "message": self.area_message,
            },
            "city": {
                "in_city_share": round(self.city.share, 4),
                "mostly_outside": self.city.mostly_outside,
                "message": self.city.message,
            }
            if self.city
            else None,
            "encoding": self.encoding,
            "geometry": {
                "read": self.report.read,
                "repaired": self.report.repaired,
                "linearised": self.report.linearised,
                "dropped": dict(self.report.dropped),
                "notes": list(self.report.notes),
            },
            "attributes": self.attributes,
            "rows": self.rows,
            "diff": self.diff.to_dict() if self.diff else None,
            "warnings": self.warnings,
        }


def source_for(
    upload: Upload, dataset: Dataset, options: PreviewOptions, crs: str | None
) -> Source:
    """The ``source`` of a definition reading the staged file with the chosen overrides."""
    return Source(
        path=str(upload.path(dataset)),
        layer=dataset.layer,
        crs=crs,
        encoding=options.encoding if dataset.format in ("shapefile", "csv") else None,
        x=options.x if dataset.format == "csv" else None,
        y=options.y if dataset.format == "csv" else None,
    )


def target_layer(engine: Engine, layer_id: str) -> LayerRecord:
    """The live vector layer to replace (404 if unknown, 409 for raster or YAML layers)."""
    with engine.connect() as conn:
        record = get_layer(conn, layer_id, include_private=True)
    if record is None:
        raise NotFound(f"Layer '{layer_id}' gibt es nicht.")
    if not isinstance(record.definition, VectorLayer):
        raise InvalidParameter(f"'{layer_id}' ist ein Rasterlayer; ersetzen geht nur bei Vektoren.")
    if record.origin == "yaml":
        raise InvalidParameter(
            f"'{layer_id}' wird aus layers/{layer_id}.yaml geladen und würde beim nächsten "
            "Laden überschrieben. Bitte die Quelle dort ändern."
        )
    return record


def prepare(
    settings: Settings,
    upload: Upload,
    options: PreviewOptions,
    base: VectorLayer | None,
    work: Path,
    *,
    strict: bool,
    limit: int | None = None,
) -> tuple[PreparedLayer, LoadReport, CrsDecision]:
    """Run ``prepare_vector`` on the staged dataset (``strict``: no CRS guessing).

    ``limit``: read only the first features (publishing needs only the attributes; the load
    itself streams the whole file).
    """
    dataset = upload.dataset(options.dataset)
    wanted = source_for(upload, dataset, options, options.crs)
    decision = decide_crs(upload.path(dataset), dataset, wanted, work)
    if decision.detected is None and decision.used is None:
        raise LoadError("Das Koordinatenreferenzsystem ist nicht erkennbar. Bitte angeben.")
    if strict and decision.detected is None and not options.crs:
        raise LoadError(
            "Die Quelle hat kein Koordinatenreferenzsystem (.prj fehlt). Bitte angeben"
            + (f", z. B. {decision.suggestions[0]}." if decision.suggestions else ".")
        )
    source = source_for(upload, dataset, options, decision.used)
    if base is None:
        definition = VectorLayer(id="vorschau", title=upload.filename, source=source)
    else:
        definition = base.model_copy(update={"source": source, "attributes": None})
    report = LoadReport(layer_id=definition.id)
    try:
        prepared = prepare_vector(definition, settings, work, report, limit)
    except ValueError as exc:
        raise LoadError(f"Datei nicht lesbar: {str(exc)[:200]}") from None
    return prepared, report, decision


def build_preview(
    settings: Settings, engine: Engine, upload: Upload, options: PreviewOptions
) -> Preview:
    """Read the upload through the pipeline and collect what the Upload-Doktor shows."""
    record = target_layer(engine, options.target) if options.target else None
    base = record.definition if record and isinstance(record.definition, VectorLayer) else None
    with workdir(upload.folder) as work:
        prepared, report, decision = prepare(settings, upload, options, base, work, strict=False)
    share, status, message = area_check(prepared.geoms)
    placed = city_share(prepared.geoms, prepared.srid, settings.home.extent)
    preview = Preview(
        dataset=upload.dataset(options.dataset),
        options=options,
        count=len(prepared.gids),
        geometry_type=prepared.geometry_type,
        report=report,
        crs=decision,
        area_share=share,
        area_status=status,
        area_message=message,
        encoding=encoding_info(report, prepared),
        attributes=[
            {"name": a.name, "title": a.label, "type": a.type, "source": a.source or a.name}
            for a in prepared.columns.attributes
        ],
        rows=first_rows(prepared),
        geojson=preview_geojson(prepared),
    )
    if record is not None:
        with engine.connect() as conn:
            preview.diff = compute_diff(conn, record, prepared)
    preview.city = placed
    preview.warnings = _warnings(preview)
    return preview


def _warnings(preview: Preview) -> list[str]:
    notes = []
    if preview.crs.detected is None and preview.crs.used and not preview.options.crs:
        notes.append(
            f"Die Quelle nennt kein Koordinatenreferenzsystem. Die Vorschau nutzt den Vorschlag "
            f"{preview.crs.used} – bitte prüfen und bestätigen."
        )
    if preview.count == 0:
        notes.append("Die Datei enthält keine Objekte mit Geometrie – nichts zu veröffentlichen.")
    if preview.area_status != "ok":
        notes.append(preview.area_message)
    if preview.city is not None and preview.city.mostly_outside:
        notes.append(preview.city.message)
    if preview.encoding.get("suspicious"):
        notes.append("Einige Texte sehen falsch kodiert aus – bitte eine andere Kodierung wählen.")
    return notes


def encoding_info(report: LoadReport, prepared: PreparedLayer) -> dict[str, Any]:
    """Detected encoding, its source, and text samples with non-ASCII characters."""
    samples: list[str] = []
    for attr in prepared.columns.attributes:
        if attr.type != "text":
            continue
        for value in prepared.columns.values[attr.name]:
            if isinstance(value, str) and not value.isascii() and value not in samples:
                samples.append(value)
            if len(samples) >= 8:
                break
    return {
        "codec": report.encoding,
        "source": report.encoding_source,
        "applies": report.encoding is not None,
        "samples": samples,
        "suspicious": any(_MOJIBAKE.search(s) for s in samples),
    }


def display(value: Any) -> str:
    """A cell value as text for tables and popups."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def first_rows(prepared: PreparedLayer, limit: int = PREVIEW_ROWS) -> list[list[str]]:
    """The first rows of the attribute table, as text, feature id first."""
    attrs = prepared.columns.attributes
    values = prepared.columns.values
    return [
        [prepared.fids[i], *[display(values[a.name][i]) for a in attrs]]
        for i in range(min(limit, len(prepared.fids)))
    ]


def preview_geojson(prepared: PreparedLayer, limit: int = MAP_FEATURES) -> dict[str, Any]:
    """The first features in WGS84 (slightly simplified) for the preview map."""
    n = min(limit, len(prepared.fids))
    geoms = shapely.simplify(prepared.geoms[:n], 1.0, preserve_topology=True)
    wgs84 = gpd.GeoSeries(geoms, crs=prepared.srid).to_crs(4326).to_numpy()
    wgs84 = shapely.set_precision(wgs84, 1e-6)
    attrs = prepared.columns.attributes[:12]
    features = []
    for i, geom in enumerate(wgs84):
        props = {a.label: display(prepared.columns.values[a.name][i]) for a in attrs}
        features.append(
            {
                "type": "Feature",
                "id": prepared.fids[i],
                "properties": props,
                "geometry": mapping(geom),
            }
        )
    return {"type": "FeatureCollection", "features": features, "total": len(prepared.fids)}


def csv_columns(upload: Upload, dataset: Dataset, encoding: str | None) -> list[str]:
    """Column names of a CSV dataset (for the coordinate column picker)."""
    path = upload.path(dataset)
    try:
        guess = text_file_encoding(path, encoding)
    except ValueError:
        return []
    with path.open("rb") as handle:
        head = handle.read(64 * 1024).decode(guess.codec, errors="replace")
    first = head.lstrip("\ufeff").splitlines()[0] if head.strip() else ""
    try:
        sep = csv.Sniffer().sniff(first + "\n", delimiters=",;\t|").delimiter
    except csv.Error:
        sep = ","
    return [c.strip() for c in next(csv.reader([first], delimiter=sep), []) if c.strip()]
