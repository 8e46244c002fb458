"""The ``service`` block of a layer definition: how a city service behaves (no Python needed).

A layer that is a city service declares here which attribute holds its status and which status
values accept requests (the colours of those values stay in ``style.by_attribute``), what staff
may edit, the opening-hours, booking-link, validity and capacity attributes, and the request
form with its reference prefix, staff address, staff role and retention period.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ATTRIBUTE = r"^[a-z_][a-z0-9_]{0,62}$"
EMAIL = r"^[^@\s<>\"']{1,64}@[^@\s<>\"']+\.[A-Za-z]{2,}$"
RequestKind = Literal["kaufanfrage", "anmeldung", "vormerkung", "bewerbung", "antrag"]
StaffRole = Literal["editor", "admin"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class ServiceStatus(_Strict):
    """The status attribute, its allowed values and the values that accept requests."""

    attribute: str = Field(pattern=ATTRIBUTE, description="Attribute holding the status.")
    values: tuple[str, ...] = Field(min_length=1, description="Allowed values (select box).")
    requestable: tuple[str, ...] = Field(
        default=(), description="Values whose features accept requests (empty: all)."
    )

    @model_validator(mode="after")
    def _subset(self) -> ServiceStatus:
        unknown = [v for v in self.requestable if v not in self.values]
        if unknown:
            raise ValueError(f"status.requestable: {', '.join(unknown)} fehlt in status.values")
        return self


class RequestForm(_Strict):
    """The request form of a service (``/anfrage/<layer>/<feature>``)."""

    kind: RequestKind = Field(description="Kaufanfrage, Anmeldung, Vormerkung, Bewerbung, Antrag.")
    title: str = Field(min_length=1, max_length=80, description="Heading, e.g. 'Kaufanfrage'.")
    intro: str = Field(default="", max_length=1000, description="Short text above the form.")
    topics: tuple[str, ...] = Field(
        default=(), description="Choices of the 'Anliegen' field (e.g. Kauf, Besichtigung)."
    )
    participant: bool = Field(
        default=False, description="Ask for the participant's name and age (Anmeldung)."
    )
    attachment: bool = Field(default=False, description="One PDF attachment (Bewerbung).")
    attachment_max_mb: int = Field(default=5, ge=1, le=20)
    message_max: int = Field(default=2000, ge=0, le=10000, description="0: no message field.")
    notify: str | None = Field(
        default=None, pattern=EMAIL, description="Staff address that gets a mail per request."
    )
    staff_role: StaffRole = Field(
        default="editor", description="Lowest staff role that may read these requests."
    )
    retention_days: int = Field(
        default=90, ge=1, le=3650, description="Days a request is kept after it is closed."
    )


class Service(_Strict):
    """Service behaviour of a vector layer."""

    title: str = Field(min_length=1, max_length=80, description="Name of the service (German).")
    list_page: bool = Field(default=True, description="A list page /dienste/<layer id>.")
    filters: tuple[str, ...] = Field(default=(), description="Attributes offered as filters.")
    status: ServiceStatus | None = None
    editable: tuple[str, ...] = Field(default=(), description="Attributes staff may edit.")
    opening_hours: str | None = Field(
        default=None, pattern=ATTRIBUTE, description="Opening hours (OSM syntax)."
    )
    booking_url: str | None = Field(
        default=None, pattern=ATTRIBUTE, description="Link to book, apply or register online."
    )
    booking_label: str = Field(default="Online beantragen", max_length=60)
    valid_from: str | None = Field(default=None, pattern=ATTRIBUTE, description="Start date.")
    valid_until: str | None = Field(
        default=None, pattern=ATTRIBUTE, description="End date (past entries hidden)."
    )
    hide_past: bool = Field(default=True, description="Hide entries whose valid_until is past.")
    capacity: str | None = Field(
        default=None,
        pattern=ATTRIBUTE,
        description="Integer attribute with the places; requests beyond go to a waiting list.",
    )
    waiting_list: bool = Field(default=True, description="Offer a waiting list when full.")
    reference_prefix: str = Field(
        default="AN", pattern=r"^[A-Z]{2,4}$", description="Prefix of reference numbers."
    )
    request: RequestForm | None = None

    def references(self) -> list[str]:
        """Every attribute this block names."""
        refs = [*self.filters, *self.editable]
        refs += [
            a
            for a in (
                self.opening_hours,
                self.booking_url,
                self.valid_from,
                self.valid_until,
                self.capacity,
            )
            if a
        ]
        if self.status:
            refs.append(self.status.attribute)
        return refs

    def choices(self, attribute: str) -> tuple[str, ...] | None:
        """The closed value list of an attribute (the status values), else ``None``."""
        if self.status and self.status.attribute == attribute:
            return self.status.values
        return None

    def accepts(self, values: Mapping[str, object]) -> bool:
        """Whether a feature with these values accepts requests (its status allows it)."""
        if self.request is None:
            return False
        if self.status is None or not self.status.requestable:
            return True
        return values.get(self.status.attribute) in self.status.requestable


def check_service(service: Service, types: Mapping[str, str]) -> None:
    """Cross-checks against the layer's attributes (name → type); raises ``ValueError``."""
    unknown = sorted({r for r in service.references() if r not in types})
    if unknown:
        raise ValueError(f"service: unbekannte Attribute referenziert: {', '.join(unknown)}")
    if service.capacity and types[service.capacity] != "integer":
        raise ValueError(f"service.capacity: '{service.capacity}' muss vom Typ integer sein")
    for name in (service.valid_from, service.valid_until):
        if name and types[name] not in {"date", "datetime"}:
            raise ValueError(f"service: '{name}' muss vom Typ date oder datetime sein")
    if service.status and types[service.status.attribute] != "text":
        raise ValueError(f"service.status: '{service.status.attribute}' muss vom Typ text sein")
