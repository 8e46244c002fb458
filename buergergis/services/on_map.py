"""The city services on the city map and the list pages — plain data (no SQL, no Flask).

* What each layer's ``service`` block means on the map (``catalog.service.Service``): layers
  with a request form get a request link for the statuses that accept requests (Holzverkauf:
  "Kaufanfrage stellen" for free lots), layers with opening hours fetch their opening status.
* "Nothing past": layers with a hide-past rule (``services.filters.current_only``) are read
  from the OGC API with the equivalent CQL2 filter, so the map shows what the list shows. The
  OGC API itself keeps returning every feature; only the map asks for the filter.
* List pages: the same rule plus the attribute filters of the layer's ``service.filters``
  (Holzverkauf: status and Holzart) as one :class:`~buergergis.store.services.queries.Where`.

Responses that use "today" must put :attr:`MapServices.validator`/:attr:`ListFilters.validator`
into their ETag, so a cached copy never shows yesterday's state.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from buergergis.services import config as service_config
from buergergis.services import filters
from buergergis.services.config import ServiceLayers
from buergergis.services.holz import FREE, STATUS
from buergergis.services.texts import tr
from buergergis.store.catalog import LayerRecord
from buergergis.store.services.queries import Where
from buergergis.values import Lang

#: Roles whose map offers a "show only …" switch: attribute, value and the switch's text key.
ONLY_SWITCH: Mapping[str, tuple[str, str, str]] = {
    "holzverkauf": (STATUS, FREE, "only_free_lots"),
    "fahrzeugverkauf": ("status", "verfügbar", "only_available_vehicles"),
}


def past_filter(attribute: str, today: date) -> dict[str, Any]:
    """CQL2-JSON equal to ``services.filters.current_only``: the date is unset or not before today."""
    prop = {"property": attribute}
    return {
        "op": "or",
        "args": [
            {"op": "isNull", "args": [prop]},
            {"op": ">=", "args": [prop, {"date": today.isoformat()}]},
        ],
    }


def past_query(attribute: str, today: date) -> str:
    """The extra query string of ``/ogc/collections/{id}/items`` that hides past entries."""
    text = json.dumps(past_filter(attribute, today), separators=(",", ":"))
    return urlencode({"filter-lang": "cql2-json", "filter": text})


@dataclass(frozen=True)
class MapServices:
    """Service roles and hide-past rules of the layers on one map page."""

    roles: Mapping[str, str] = field(default_factory=dict)  # layer id → role
    past: Mapping[str, str] = field(default_factory=dict)  # layer id → date attribute
    today: date | None = None
    show_past: bool = False
    requests: Mapping[str, dict[str, Any]] = field(default_factory=dict)  # layer id → form

    @property
    def validator(self) -> str | None:
        """What the page depends on besides the layer versions: today, if a rule applies."""
        return self.today.isoformat() if self.past and self.today else None

    def items_query(self, layer_id: str) -> str | None:
        """Extra items parameters of a layer (the past filter), or ``None``."""
        attribute = self.past.get(layer_id)
        if attribute is None or self.show_past or self.today is None:
            return None
        return past_query(attribute, self.today)

    def layer_config(
        self, layer_id: str, texts: Mapping[str, str] | None = None, lang: Lang = "de"
    ) -> dict[str, Any] | None:
        """What ``static/js/services.js`` needs for the popups of one layer (and the "show
        only …" switch of ``static/js/layers.js``, labelled from ``texts``); the request
        link's label in ``lang``."""
        role = self.roles.get(layer_id)
        config: dict[str, Any] = {"role": role} if role else {}
        if role == "holzverkauf":
            config.update(status_field=STATUS, free=FREE)
        if role is not None and role in ONLY_SWITCH:
            attribute, value, text = ONLY_SWITCH[role]
            label = (texts or {}).get(text, text)
            config.update(only={"attribute": attribute, "value": value, "label": label})
        if layer_id in self.past:
            config.update(hides_past=True, past_attribute=self.past[layer_id])
        if layer_id in self.requests:
            request = self.requests[layer_id]
            config.update(request=request | {"label": tr(request["label"], lang)})
        return config or None


def map_services(
    records: Iterable[LayerRecord], layers: ServiceLayers, show_past: bool, today: date
) -> MapServices:
    """Roles and hide-past rules of the public vector layers."""
    roles: dict[str, str] = {}
    past: dict[str, str] = {}
    forms: dict[str, dict[str, Any]] = {}
    for record in records:
        if record.kind != "vector":
            continue
        role = layers.role_of(record.id)
        if role:
            roles[record.id] = role
        attribute = filters.hide_past_attribute(record, layers)
        if attribute:
            past[record.id] = attribute
        form = request_link(record)
        if form:
            forms[record.id] = form
    return MapServices(roles, past, today, show_past, forms)


def request_link(record: LayerRecord) -> dict[str, Any] | None:
    """The popup link to a layer's request form (``service.request``): URL prefix, label and
    the status values that accept requests (empty: every feature)."""
    service = service_config.service_of(record)
    if service is None or service.request is None:
        return None
    status = service.status
    return {
        "url": f"/anfrage/{record.id}/",
        "label": service.request.title,
        "status_field": status.attribute if status else None,
        "requestable": list(status.requestable) if status else [],
    }


@dataclass(frozen=True)
class ListFilters:
    """The server-side filters of a list page."""

    condition: Where = field(default_factory=Where)
    role: str | None = None
    chosen: Mapping[str, str] = field(default_factory=dict)  # attribute filters in effect
    names: tuple[str, ...] = ()  # attributes offered as filters
    hides_past: bool = False  # the layer has a hide-past rule …
    show_past: bool = False  # … and ``alle=1`` switched it off
    today: date | None = None
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # closed value lists

    @property
    def validator(self) -> str | None:
        """Today, when the rows depend on it (part of the ETag)."""
        return self.today.isoformat() if self.hides_past and self.today else None

    def params(self) -> dict[str, str]:
        """The query parameters that reproduce these filters."""
        return {**self.chosen, **({"alle": "1"} if self.show_past else {})}


def list_filters(
    record: LayerRecord, layers: ServiceLayers, args: Mapping[str, str], today: date
) -> ListFilters:
    """Attribute filters of the layer's role and, unless ``alle=1``, "nothing past"."""
    role = layers.role_of(record.id)
    names = filters.filter_names(record)
    where, chosen = Where(), dict[str, str]()
    if names:
        where, chosen = filters.attribute_filters(record, role, args, names)
    show_past = filters.wants_all(args)
    current = filters.current_only(record, layers, today)
    if current is not None and not show_past:
        where = where + current
    fixed = {n: c for n in names if (c := service_config.choices(record, n))}
    return ListFilters(where, role, chosen, names, current is not None, show_past, today, fixed)


def fixed_choices(filters_: ListFilters, name: str) -> tuple[str, ...] | None:
    """The closed value list of a filter attribute (``None``: read the values from the data)."""
    return filters_.choices.get(name)


@dataclass(frozen=True)
class FilterOption:
    """One select box of a list page: attribute, label, values and the chosen one."""

    name: str
    label: str
    values: tuple[str, ...]
    chosen: str | None


def filter_options(
    record: LayerRecord, filters_: ListFilters, values: Mapping[str, Iterable[str]], lang: Lang
) -> tuple[FilterOption, ...]:
    """Select boxes for the attribute filters (``values``: the choices of each attribute)."""
    attributes = {a.name: a for a in record.attributes}
    result = []
    for name in filters_.names:
        attr = attributes[name]
        label = (attr.title_en if lang == "en" else None) or attr.label
        result.append(
            FilterOption(name, label, tuple(values.get(name, ())), filters_.chosen.get(name))
        )
    return tuple(result)
