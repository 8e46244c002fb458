"""What a layer's ``service`` block says, read for the service pages (no tables in Python).

Every behaviour of a city service — status values, which of them accept requests, editable
attributes, hide-past, capacity, the request form — comes from the layer definition
(``buergergis.catalog.service.Service``). Only the few pages with views of their own find
their layer by id: the Bürgeramt page (``buergeramt``), the wood-lot page (``holzverkauf``)
and "Mein Ort" (``ortsteile``, ``adressen``); :data:`REQUIRED` lists what those views read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from buergergis.catalog.models import VectorLayer
from buergergis.catalog.service import RequestForm, Service
from buergergis.errors import NotFound, Unavailable
from buergergis.store.catalog import LayerRecord

#: Attributes the pages with their own views read from their layer.
REQUIRED: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "buergeramt": ("name", "adresse", "oeffnungszeiten"),
        "holzverkauf": ("holzart", "sortiment", "menge_rm", "preis_rm", "status"),
        "kitas": ("name",),
        "ortsteile": ("name",),
        "adressen": (),
    }
)

#: Headings of those pages when their layer declares no service title.
TITLES: Mapping[str, str] = MappingProxyType(
    {
        "buergeramt": "Bürgerbüros und Servicestellen",
        "holzverkauf": "Brennholzverkauf",
        "kitas": "Kindertagesstätten",
        "ferienaktionen": "Ferienaktionen",
        "stellenangebote": "Stellenangebote",
        "fahrzeugverkauf": "Fahrzeugverkauf",
        "ortsteile": "Ortsteile",
        "adressen": "Adressen",
    }
)


@dataclass(frozen=True)
class ServiceLayers:
    """The layers of the pages with own views (their ids; a service layer is its own role)."""

    ids: Mapping[str, str] = field(default_factory=dict)

    def layer_id(self, role: str) -> str:
        """The layer id serving ``role`` (the role name itself)."""
        return self.ids.get(role, role)

    def role_of(self, layer_id: str) -> str | None:
        """The own view a layer serves (``buergeramt``, ``holzverkauf``, …), if any."""
        found = next((r for r, lid in self.ids.items() if lid == layer_id), None)
        return found or (layer_id if layer_id in TITLES else None)


def service_of(record: LayerRecord) -> Service | None:
    """The ``service`` block of a layer, or ``None``."""
    definition = record.definition
    return definition.service if isinstance(definition, VectorLayer) else None


def require_service(record: LayerRecord) -> Service:
    """The service block of a loaded vector layer (404 with a German message otherwise)."""
    service = service_of(record) if record.loaded and record.kind == "vector" else None
    if service is None:
        raise NotFound(
            f"'{record.id}' ist kein Bürgerdienst.",
            description_en=f"'{record.id}' is not a city service.",
        )
    return service


def require_form(record: LayerRecord) -> tuple[Service, RequestForm]:
    """The service and its request form (404 when the layer takes no requests)."""
    service = require_service(record)
    if service.request is None:
        raise NotFound(
            f"Für „{service.title}“ gibt es kein Anfrageformular.",
            description_en=f"“{service.title}” has no request form.",
        )
    return service, service.request


def title_of(record: LayerRecord) -> str:
    """The name of the service (its layer title when it declares none)."""
    service = service_of(record)
    return service.title if service else TITLES.get(record.id, record.definition.title)


def titles(records: Iterable[LayerRecord]) -> dict[str, str]:
    """Layer id → service name for the navigation (defaults for the own views included)."""
    return dict(TITLES) | {r.id: title_of(r) for r in records if service_of(r)}


def choices(record: LayerRecord, name: str) -> tuple[str, ...] | None:
    """The closed value list of an attribute (the declared status values), else ``None``."""
    service = service_of(record)
    return service.choices(name) if service else None


def editable(record: LayerRecord) -> tuple[str, ...]:
    """The attributes staff may edit."""
    service = service_of(record)
    return service.editable if service else ()


def hide_past_attribute(record: LayerRecord) -> str | None:
    """The date attribute that hides past entries (``service.valid_until``), if switched on."""
    service = service_of(record)
    if service is None or not service.hide_past or not service.valid_until:
        return None
    return service.valid_until


def check_schema(record: LayerRecord, role: str) -> None:
    """A clear 503 when the layer of an own view lacks attributes that view reads."""
    names = {a.name for a in record.attributes}
    missing = [a for a in REQUIRED.get(role, ()) if a not in names]
    if missing:
        raise Unavailable(
            f"Der Layer '{record.id}' kann den Dienst „{TITLES.get(role, role)}“ nicht "
            f"bereitstellen: es fehlen die Attribute {', '.join(missing)}."
        )


def require_loaded(record: LayerRecord | None, role: str, layer_id: str) -> LayerRecord:
    """The loaded vector layer of a role with its schema checked, else a German 404/503."""
    if record is None or not record.loaded or record.kind != "vector":
        raise NotFound(
            f"Der Dienst „{TITLES.get(role, role)}“ ist nicht verfügbar: "
            f"der Layer '{layer_id}' ist nicht geladen.",
            description_en=f"The service “{TITLES.get(role, role)}” is not available: "
            f"the layer '{layer_id}' is not loaded.",
        )
    check_schema(record, role)
    return record
