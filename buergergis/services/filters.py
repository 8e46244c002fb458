"""Default filters of the service layers: past Ferienaktionen and expired jobs are hidden.

For the map, list and OGC engineers: call :func:`current_only` with a layer record; it
returns a :class:`~buergergis.store.services.queries.Where` on table alias ``t`` (SQL text
with quoted identifiers plus bind parameters) or ``None`` when the layer has no such rule.
"Today" is the calendar day in Europe/Berlin, so responses that use it must include
:func:`today` in their ETag.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from buergergis.catalog.models import VectorLayer
from buergergis.errors import InvalidParameter
from buergergis.services.config import CHOICES, HIDE_PAST, ServiceLayers
from buergergis.services.opening import BERLIN
from buergergis.store.catalog import LayerRecord
from buergergis.store.services.queries import Where, equals, not_past

MAX_FILTER_LENGTH = 100


def today() -> date:
    """The current date in Hameln."""
    return datetime.now(BERLIN).date()


def hide_past_attribute(record: LayerRecord, layers: ServiceLayers) -> str | None:
    """The date attribute deciding whether an entry is past (role config, else temporal end)."""
    role = layers.role_of(record.id)
    if role is None or role not in HIDE_PAST:
        return None
    names = {a.name for a in record.attributes}
    if HIDE_PAST[role] in names:
        return HIDE_PAST[role]
    temporal = record.definition.temporal if isinstance(record.definition, VectorLayer) else None
    end = temporal.end if temporal else None
    return end if end in names else None


def current_only(
    record: LayerRecord, layers: ServiceLayers, on: date | None = None
) -> Where | None:
    """The "hide past entries" condition of a layer, or ``None``."""
    name = hide_past_attribute(record, layers)
    return not_past(name, on or today()) if name else None


def wants_all(args: Mapping[str, str]) -> bool:
    """``alle=1`` (or ``all=true``) switches the default filter off."""
    value = (args.get("alle") or args.get("all") or "").strip().lower()
    return value in {"1", "true", "ja", "yes"}


def attribute_filters(
    record: LayerRecord, role: str, args: Mapping[str, str], names: tuple[str, ...]
) -> tuple[Where, dict[str, str]]:
    """Equality filters from query parameters (only for ``names``), checked against choices."""
    where, chosen = Where(), {}
    known = {a.name for a in record.attributes}
    for i, name in enumerate(n for n in names if n in known):
        value = (args.get(name) or "").strip()
        if not value:
            continue
        if len(value) > MAX_FILTER_LENGTH:
            raise InvalidParameter(f"Parameter '{name}': höchstens {MAX_FILTER_LENGTH} Zeichen.")
        allowed = CHOICES.get((role, name))
        if allowed and value not in allowed:
            raise InvalidParameter(
                f"Parameter '{name}': '{value}' ist nicht erlaubt (möglich: {', '.join(allowed)})."
            )
        where = where + equals(name, value, f"f{i}")
        chosen[name] = value
    return where, chosen
