"""„Mein Ort": what applies at a point — Ortsteil, nearest open Bürgeramt, nearest Kitas,
wood lots nearby, every public polygon layer that contains the point, and a small map.

A place is given by coordinates or by an address, found in the address layer (role
``adressen``) through the search index. Each place appears once: when the nearest
Bürgerbüro is also the nearest open one, it is one entry (:attr:`Report.offices`).

All geometry work happens in PostGIS (``ST_Contains`` for areas, KNN ``<->`` for the nearest
features, input transformed from EPSG:4326 to the storage SRID). No official information.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from buergergis.catalog.models import VectorLayer
from buergergis.errors import InvalidParameter, NotFound
from buergergis.extern.featureinfo import Answer
from buergergis.services import offices, place_map
from buergergis.services.config import ServiceLayers, check_schema
from buergergis.services.holz import FREE, STATUS
from buergergis.services.offices import Office
from buergergis.store import search
from buergergis.store.catalog import LayerRecord
from buergergis.store.services import queries
from buergergis.store.services.queries import Row, Where

NOTE = "Keine amtliche Auskunft. Alle Angaben ohne Gewähr."
KITAS = 3
LOTS = 5
LOT_RADIUS_M = 10000
KITA_FIELDS = ("name", "traeger", "altersgruppen", "adresse", "vormerkung_url")
LOT_FIELDS = ("holzart", "sortiment", "menge_rm", "preis_rm", STATUS)
MAX_ADDRESS = 200


@dataclass(frozen=True)
class Point:
    """The place asked about (WGS84); for an address search what was found and other hits."""

    lon: float
    lat: float
    label: str | None = None
    others: tuple[str, ...] = ()
    query: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class Area:
    """A polygon layer containing the point, with the features that contain it."""

    record: LayerRecord
    label_field: str | None
    fields: tuple[str, ...]
    rows: list[Row]

    def label(self, row: Row) -> str:
        """The display name of a containing feature."""
        value = row.values.get(self.label_field) if self.label_field else None
        return str(value) if value not in (None, "") else row.fid


@dataclass(frozen=True)
class Report:
    """Everything „Mein Ort" shows."""

    point: Point
    at: datetime
    ortsteil: Row | None
    open_office: Office | None
    nearest_office: Office | None
    kitas: list[Row]
    lots: list[Row]
    areas: list[Area]
    map: place_map.PlaceMap | None = None
    external: tuple[Answer, ...] = ()  # GetFeatureInfo of external WMS layers (issue 16)
    ortsteile_layer: str | None = None
    note: str = NOTE
    lot_record: LayerRecord | None = None  # the wood-lot layer (units of its values)

    @property
    def offices(self) -> list[tuple[Office, bool, bool]]:
        """Bürgerbüros to show, each once: (office, is the nearest, is the nearest open)."""
        shown: list[tuple[Office, bool, bool]] = []
        for office in (self.nearest_office, self.open_office):
            if office is None or any(o.row.fid == office.row.fid for o, _, _ in shown):
                continue
            shown.append((office, office is self.nearest_office or _same(office, self.nearest_office),
                          _same(office, self.open_office)))  # fmt: skip
        return shown

    @property
    def other_areas(self) -> list[Area]:
        """Containing areas except the Ortsteil, which the report names already."""
        return [a for a in self.areas if a.record.id != self.ortsteile_layer]


def _same(a: Office | None, b: Office | None) -> bool:
    return a is not None and b is not None and a.row.fid == b.row.fid


def _float(args: Mapping[str, str], name: str, low: float, high: float) -> float:
    raw = (args.get(name) or "").strip().replace(",", ".")
    try:
        value = float(raw)
    except ValueError:
        raise InvalidParameter(
            f"Parameter '{name}': eine Zahl zwischen {low:g} und {high:g} angeben "
            "(Dezimalgrad WGS84, z. B. lat=52.1035&lon=9.3575).",
            description_en=f"Parameter '{name}': a number between {low:g} and {high:g} "
            "(decimal degrees WGS84, e.g. lat=52.1035&lon=9.3575).",
        ) from None
    if not low <= value <= high:
        raise InvalidParameter(
            f"Parameter '{name}': {value:g} liegt nicht zwischen {low:g} und {high:g}.",
            description_en=f"Parameter '{name}': {value:g} is not between {low:g} and {high:g}.",
        )
    return value


def parse_point(args: Mapping[str, str]) -> Point:
    """``lat`` and ``lon`` in decimal degrees (WGS84), both required."""
    missing = [n for n in ("lat", "lon") if not (args.get(n) or "").strip()]
    if missing:
        raise InvalidParameter(
            f"Parameter {' und '.join(repr(m) for m in missing)} fehlt: bitte einen Punkt "
            "angeben (z. B. ?lat=52.1035&lon=9.3575).",
            description_en=f"Parameter {' and '.join(repr(m) for m in missing)} missing: please "
            "give a point (e.g. ?lat=52.1035&lon=9.3575).",
        )
    return Point(lon=_float(args, "lon", -180, 180), lat=_float(args, "lat", -90, 90))


def find_address(conn: Connection, record: LayerRecord | None, query: str) -> Point:
    """The best hit of the address layer for ``query`` (404 when none)."""
    query = query.strip()
    if not query or len(query) > MAX_ADDRESS:
        raise InvalidParameter(
            f"Parameter 'adresse': 1 bis {MAX_ADDRESS} Zeichen.",
            description_en=f"Parameter 'adresse': 1 to {MAX_ADDRESS} characters.",
        )
    if record is None or not record.loaded:
        raise NotFound(
            "Eine Adresssuche gibt es hier noch nicht: bitte Koordinaten angeben.",
            description_en="There is no address search here yet: please give coordinates.",
        )
    hits = search.search(conn, [record], query, 5)
    if not hits:
        raise NotFound(
            f"Die Adresse '{query}' wurde nicht gefunden.",
            description_en=f"The address '{query}' was not found.",
        )
    best = hits[0]
    others = () if best.exact else tuple(h.label for h in hits[1:] if h.label != best.label)
    return Point(best.lon, best.lat, best.label, others, query, best.detail)


def _present(record: LayerRecord, wanted: tuple[str, ...]) -> tuple[str, ...]:
    names = {a.name for a in record.attributes}
    return tuple(n for n in wanted if n in names)


def area_fields(record: LayerRecord) -> tuple[str | None, tuple[str, ...]]:
    """Label attribute and shown attributes (popup fields) of a polygon layer."""
    definition = record.definition
    names = [a.name for a in record.attributes if a.type != "json"]
    popup = definition.popup if isinstance(definition, VectorLayer) else ()
    shown = tuple(n for n in popup if n in names) or tuple(names[:6])
    label = definition.style.label if isinstance(definition, VectorLayer) else None
    if label not in names:
        label = shown[0] if shown else None
    return label, tuple(dict.fromkeys([*([label] if label else []), *shown]))


def is_polygon_layer(record: LayerRecord) -> bool:
    """A loaded vector layer of (multi)polygons."""
    return (
        record.kind == "vector"
        and record.loaded
        and "POLYGON" in (record.geometry_type or "").upper()
    )


def _role(records: dict[str, LayerRecord], layers: ServiceLayers, role: str) -> LayerRecord | None:
    record = records.get(layers.layer_id(role))
    if record is None or not record.loaded or record.kind != "vector":
        return None
    check_schema(record, role)
    return record


def _areas(conn: Connection, records: list[LayerRecord], point: Point) -> list[Area]:
    result = []
    for record in records:
        if not is_polygon_layer(record):
            continue
        label, shown = area_fields(record)
        hits = queries.containing(conn, record, shown, point.lon, point.lat)
        area = Area(record, label, shown, hits)
        unique = list({area.label(r): r for r in reversed(hits)}.values())[::-1]
        if unique:
            result.append(Area(record, label, shown, unique))
    return result


def build(
    conn: Connection,
    records: list[LayerRecord],
    layers: ServiceLayers,
    point: Point,
    at: datetime,
) -> Report:
    """Assemble the report for ``point`` from the public layers ``records``."""
    by_id = {r.id: r for r in records}
    areas = _areas(conn, records, point)
    ortsteile = _role(by_id, layers, "ortsteile")
    ortsteil = next((a.rows[0] for a in areas if ortsteile and a.record.id == ortsteile.id), None)
    office_record = _role(by_id, layers, "buergeramt")
    near = offices.near(conn, office_record, point.lon, point.lat, at) if office_record else []
    kita_record = _role(by_id, layers, "kitas")
    kitas = (
        queries.nearest(conn, kita_record, _present(kita_record, KITA_FIELDS), point.lon, point.lat, KITAS)
        if kita_record else []
    )  # fmt: skip
    open_office, nearest_office = offices.nearest_open(near), near[0] if near else None
    lot_record = _role(by_id, layers, "holzverkauf")
    lots = _lots(conn, lot_record, point)
    places = _places([nearest_office, open_office], kitas, lots)
    return Report(
        point=point,
        at=at,
        ortsteil=ortsteil,
        open_office=open_office,
        nearest_office=nearest_office,
        kitas=kitas,
        lots=lots,
        areas=areas,
        map=place_map.build(
            conn, point.lon, point.lat, places, ortsteile, _role(by_id, layers, "adressen")
        ),  # fmt: skip
        ortsteile_layer=ortsteile.id if ortsteile else None,
        lot_record=lot_record,
    )


def _places(near: list[Office | None], kitas: list[Row], lots: list[Row]) -> list[place_map.Place]:
    """The places of the report in map-legend order, each once."""
    places: list[place_map.Place] = []
    seen: set[str] = set()
    for office in near:
        if office is not None and office.row.fid not in seen:
            seen.add(office.row.fid)
            places.append(place_map.Place("office", office.name, office.row.lon, office.row.lat))
    for kita in kitas:
        places.append(place_map.Place("kita", str(kita.values.get("name") or kita.fid),
                                      kita.lon, kita.lat))  # fmt: skip
    for lot in lots:
        places.append(place_map.Place("lot", f"Los {lot.fid}", lot.lon, lot.lat))
    return places


def _lots(conn: Connection, record: LayerRecord | None, point: Point) -> list[Row]:
    if record is None:
        return []
    where = Where(
        (f"t.{queries.column(STATUS)} = :free", f"ST_DWithin(t.geom, {queries.POINT}, :radius)"),
        {"free": FREE, "radius": LOT_RADIUS_M},
    )
    return queries.nearest(
        conn, record, _present(record, LOT_FIELDS), point.lon, point.lat, LOTS, where
    )


def row_dict(row: Row) -> dict[str, Any]:
    """JSON form of a feature row."""
    body: dict[str, Any] = {"layer": row.layer_id, "id": row.fid, **row.values}
    body.update({"lon": row.lon, "lat": row.lat})
    if row.distance_m is not None:
        body["distance_m"] = row.distance_m
    return body


def to_dict(report: Report) -> dict[str, Any]:
    """The JSON document of ``/mein-ort.json``."""
    return {
        "point": {
            "lon": report.point.lon,
            "lat": report.point.lat,
            "label": report.point.label,
            "detail": report.point.detail,
        },  # fmt: skip
        "at": report.at.isoformat(),
        "note": report.note,
        "ortsteil": row_dict(report.ortsteil) if report.ortsteil else None,
        "buergeramt": {
            "open_now": report.open_office.to_dict() if report.open_office else None,
            "nearest": report.nearest_office.to_dict() if report.nearest_office else None,
        },
        "kitas": [row_dict(r) for r in report.kitas],
        "holzverkauf": [row_dict(r) for r in report.lots],
        "areas": [
            {
                "layer": a.record.id,
                "title": a.record.definition.title,
                "features": [{**row_dict(r), "label": a.label(r)} for r in a.rows],
            }
            for a in report.areas
        ],
        "extern": [a.to_dict() for a in report.external],
    }
