"""Default filters of the service layers: past Ferienaktionen and expired jobs are hidden.

For the map, list and OGC engineers: call :func:`current_only` with a layer record; it
returns a :class:`~buergergis.store.services.queries.Where` on table alias ``t`` (SQL text
with quoted identifiers plus bind parameters) or ``None`` when the layer has no such rule.
The rule is the layer's ``service.valid_until`` (with ``service.hide_past``, the default).
"Today" is the calendar day in Europe/Berlin, so responses that use it must include
:func:`today` in their ETag.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from buergergis.errors import InvalidParameter
from buergergis.services import config
from buergergis.services.config import ServiceLayers
from buergergis.services.opening import BERLIN
from buergergis.store.catalog import LayerRecord
from buergergis.store.services.queries import Where, equals, not_past

MAX_FILTER_LENGTH = 100


def today() -> date:
    """The current date in Hameln."""
    return datetime.now(BERLIN).date()


def hide_past_attribute(record: LayerRecord, layers: ServiceLayers | None = None) -> str | None:
    """The date attribute deciding whether an entry is past (``service.valid_until``)."""
    name = config.hide_past_attribute(record)
    return name if name in {a.name for a in record.attributes} else None


def current_only(
    record: LayerRecord, layers: ServiceLayers | None = None, on: date | None = None
) -> Where | None:
    """The "hide past entries" condition of a layer, or ``None``."""
    name = hide_past_attribute(record)
    return not_past(name, on or today()) if name else None


def wants_all(args: Mapping[str, str]) -> bool:
    """``alle=1`` (or ``all=true``) switches the default filter off."""
    value = (args.get("alle") or args.get("all") or "").strip().lower()
    return value in {"1", "true", "ja", "yes"}


def filter_names(record: LayerRecord) -> tuple[str, ...]:
    """The attributes a service offers as filters (``service.filters``)."""
    service = config.service_of(record)
    known = {a.name for a in record.attributes}
    return tuple(n for n in (service.filters if service else ()) if n in known)


def attribute_filters(
    record: LayerRecord, role: str | None, args: Mapping[str, str], names: tuple[str, ...]
) -> tuple[Where, dict[str, str]]:
    """Equality filters from query parameters (only for ``names``), checked against choices."""
    where, chosen = Where(), {}
    known = {a.name for a in record.attributes}
    for i, name in enumerate(n for n in names if n in known):
        value = (args.get(name) or "").strip()
        if not value:
            continue
        if len(value) > MAX_FILTER_LENGTH:
            raise InvalidParameter(
                f"Parameter '{name}': höchstens {MAX_FILTER_LENGTH} Zeichen.",
                description_en=f"Parameter '{name}': at most {MAX_FILTER_LENGTH} characters.",
            )
        allowed = config.choices(record, name)
        if allowed and value not in allowed:
            raise InvalidParameter(
                f"Parameter '{name}': '{value}' ist nicht erlaubt (möglich: {', '.join(allowed)}).",
                description_en=f"Parameter '{name}': '{value}' is not allowed "
                f"(possible: {', '.join(allowed)}).",
            )
        where = where + equals(name, value, f"f{i}")
        chosen[name] = value
    return where, chosen
