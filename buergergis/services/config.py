"""Which layer plays which service role, and what staff may edit — driven by configuration.

A city can rename layers: the roles (``buergeramt``, ``holzverkauf``, …) are the stable names
used in URLs and code; the layer ids come from ``BUERGERGIS_SERVICE_LAYERS`` (for example
``holzverkauf=brennholz,buergeramt=servicestellen``), defaulting to the role names. Each role
documents the attributes its layer must have (the schema in ``docs/dienste.md``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from buergergis.catalog.models import ID_PATTERN
from buergergis.errors import DefinitionError, NotFound, Unavailable
from buergergis.store.catalog import LayerRecord

ENV_VAR = "BUERGERGIS_SERVICE_LAYERS"

#: Attributes a layer needs to serve a role.
REQUIRED: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "buergeramt": ("name", "adresse", "oeffnungszeiten"),
        "holzverkauf": ("holzart", "sortiment", "menge_rm", "preis_rm", "status"),
        "kitas": ("name", "traeger", "altersgruppen"),
        "ferienaktionen": ("titel", "beginn", "ende"),
        "stellenangebote": ("titel", "arbeitsort", "bewerbungsfrist"),
        "fahrzeugverkauf": ("fahrzeug", "preis_eur", "status"),
        "ortsteile": ("name",),
        "adressen": (),
    }
)

#: Attributes staff may change per role (single-feature edits in the staff area).
EDITABLE: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "buergeramt": ("oeffnungszeiten", "leistungen", "termin_url", "telefon", "hinweis"),
        "holzverkauf": (
            "status", "preis_rm", "menge_rm", "abholung_von", "abholung_bis", "hinweise",
        ),
        "kitas": ("traeger", "altersgruppen", "plaetze", "vormerkung_url", "hinweis"),
        "ferienaktionen": ("beginn", "ende", "kosten_eur", "anmeldung_url", "beschreibung"),
        "stellenangebote": ("bewerbungsfrist", "entgeltgruppe", "befristet", "url"),
        "fahrzeugverkauf": ("status", "preis_eur", "km_stand", "beschreibung"),
    }
)  # fmt: skip

#: Closed value lists of some attributes (shown as select boxes, checked on save).
CHOICES: Mapping[tuple[str, str], tuple[str, ...]] = MappingProxyType(
    {
        ("holzverkauf", "status"): ("frei", "reserviert", "verkauft"),
        ("fahrzeugverkauf", "status"): ("verfügbar", "reserviert", "verkauft"),
    }
)

#: Roles whose past entries are hidden by default, and the date attribute that decides it.
HIDE_PAST: Mapping[str, str] = MappingProxyType(
    {"ferienaktionen": "ende", "stellenangebote": "bewerbungsfrist"}
)

#: German names of the roles (navigation, headings).
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

_ID = re.compile(ID_PATTERN)


@dataclass(frozen=True)
class ServiceLayers:
    """Role → layer id (defaults: the role names)."""

    ids: Mapping[str, str] = field(default_factory=lambda: {r: r for r in REQUIRED})

    def layer_id(self, role: str) -> str:
        """The layer id serving ``role``."""
        return self.ids.get(role, role)

    def role_of(self, layer_id: str) -> str | None:
        """The role a layer plays, if any."""
        return next((role for role, lid in self.ids.items() if lid == layer_id), None)


def parse_service_layers(value: str | None) -> ServiceLayers:
    """Parse ``role=layer,role=layer``; unknown roles or invalid ids are a definition error."""
    ids = {r: r for r in REQUIRED}
    for part in (value or "").split(","):
        if not part.strip():
            continue
        role, _, layer_id = (s.strip() for s in part.partition("="))
        if role not in REQUIRED:
            raise DefinitionError(
                f"{ENV_VAR}: unbekannte Rolle '{role}' (möglich: {', '.join(REQUIRED)})"
            )
        if not _ID.match(layer_id):
            raise DefinitionError(f"{ENV_VAR}: '{layer_id}' ist keine gültige Layer-ID")
        ids[role] = layer_id
    return ServiceLayers(MappingProxyType(ids))


def from_environment() -> ServiceLayers:
    """The roles as configured in the environment (read once by ``init_app``)."""
    return parse_service_layers(os.environ.get(ENV_VAR))


def check_schema(record: LayerRecord, role: str) -> None:
    """A clear 503 when the layer of a role lacks attributes the service needs."""
    names = {a.name for a in record.attributes}
    missing = [a for a in REQUIRED[role] if a not in names]
    if missing:
        raise Unavailable(
            f"Der Layer '{record.id}' kann den Dienst „{TITLES[role]}“ nicht bereitstellen: "
            f"es fehlen die Attribute {', '.join(missing)}."
        )


def require_loaded(record: LayerRecord | None, role: str, layer_id: str) -> LayerRecord:
    """The loaded vector layer of a role with its schema checked, else a German 404/503."""
    if record is None or not record.loaded or record.kind != "vector":
        raise NotFound(
            f"Der Dienst „{TITLES.get(role, role)}“ ist nicht verfügbar: "
            f"der Layer '{layer_id}' ist nicht geladen."
        )
    check_schema(record, role)
    return record
