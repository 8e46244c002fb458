"""The accessible list page of a layer: parameters, columns with sort state, formatted cells.

Plain data only: ``web/maps.py`` reads rows through ``store.features_simple`` and renders
``templates/maps/list.html`` from a :class:`ListPage`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from buergergis.catalog.models import StyleByAttribute
from buergergis.errors import InvalidParameter
from buergergis.maps.build import FEATURE_ZOOM
from buergergis.maps.i18n import Lang
from buergergis.maps.layers import Field, MapLayer
from buergergis.maps.styling import category_label, category_of, class_color
from buergergis.services.formatting import number, with_unit
from buergergis.services.on_map import FilterOption, ListFilters
from buergergis.store.features_simple import TableQuery, TableRows
from buergergis.store.services.queries import Where
from buergergis.values import parse_int

PER_PAGE = 100
MAX_QUERY = 100
#: The highest page number a list accepts (a page behind the last one is simply empty).
MAX_PAGE = 1_000_000
_URL = re.compile(r"^https?://[^\s<>\"]+$")


@dataclass(frozen=True)
class ListParams:
    """Validated parameters of ``/liste/{layer}``."""

    q: str | None
    sort: str | None
    descending: bool
    page: int
    fid: str | None


def parse_list_params(args: Mapping[str, str], layer: MapLayer) -> ListParams:
    """``q`` (filter), ``sort`` (column, ``-`` prefix descending), ``page``, ``fid``."""
    q = (args.get("q") or "").strip() or None
    if q and len(q) > MAX_QUERY:
        raise InvalidParameter(f"Parameter 'q': höchstens {MAX_QUERY} Zeichen.")
    sort_arg = (args.get("sort") or "").strip()
    descending = sort_arg.startswith("-")
    sort = sort_arg.lstrip("-") or None
    names = [f.name for f in layer.fields]
    if sort and sort not in names:
        raise InvalidParameter(
            f"Parameter 'sort': '{sort[:60]}' ist keine Spalte dieser Tabelle "
            f"(möglich: {', '.join(names)})."
        )
    page = parse_int(args.get("page"), "page", default=1, low=1, high=MAX_PAGE) or 1
    fid = (args.get("fid") or "").strip()[:200] or None
    return ListParams(q=q, sort=sort, descending=descending, page=page, fid=fid)


def table_query(
    layer: MapLayer, params: ListParams, page: int | None = None, condition: Where | None = None
) -> TableQuery:
    """What to read from the store for this page (``condition``: the server-side filters)."""
    return TableQuery(
        columns=tuple(f.name for f in layer.fields),
        q=params.q,
        sort=params.sort,
        descending=params.descending,
        page=page or params.page,
        per_page=PER_PAGE,
        condition=condition or Where(),
    )


@dataclass(frozen=True)
class Column:
    """A table column: ``aria_sort`` is set on the sorted one; ``sort_value`` toggles."""

    name: str
    label: str
    type: str
    aria_sort: str | None
    sort_value: str


@dataclass(frozen=True)
class Cell:
    """A formatted value; ``sort_key`` is what client-side sorting compares."""

    text: str
    href: str | None
    sort_key: str
    badge: str | None = None  # colour of the value's class (style.by_attribute): a status badge


@dataclass(frozen=True)
class Row:
    """One feature as a table row."""

    fid: str
    cells: list[Cell]
    map_url: str
    current: bool


@dataclass(frozen=True)
class ListPage:
    """Everything ``templates/maps/list.html`` shows."""

    layer: MapLayer
    columns: list[Column]
    rows: list[Row]
    params: ListParams
    page: int
    pages: int
    total: int
    matched: int
    lang: Lang
    filters: ListFilters = field(default_factory=ListFilters)
    options: tuple[FilterOption, ...] = ()

    def url(self, **changes: object) -> str:
        """Query string of this list page with changes (``None`` removes a parameter)."""
        values: dict[str, object] = {
            "q": self.params.q,
            "sort": (
                ("-" if self.params.descending else "") + self.params.sort
                if self.params.sort
                else None
            ),
            "page": self.page if self.page > 1 else None,
            "lang": self.lang if self.lang != "de" else None,
            **self.filters.params(),
        }
        values.update(changes)
        query = urlencode({k: v for k, v in values.items() if v not in (None, "", 1)})
        return "?" + query if query else "?"

    @property
    def client_sortable(self) -> bool:
        """All matching rows are on this page, so sorting/filtering in the browser is exact."""
        return self.pages == 1 and not self.params.q


def format_value(value: Any, lang: Lang, yes_no: tuple[str, str], unit: str | None = None) -> Cell:
    """Human-readable text (numbers with their ``unit``), a link for http(s) URLs, and a sort
    key (numbers sort by their value, never by the text with the unit)."""
    if value is None:
        return Cell("", None, "")
    if isinstance(value, bool):
        return Cell(yes_no[0] if value else yes_no[1], None, "1" if value else "0")
    if isinstance(value, datetime):
        text = value.strftime("%d.%m.%Y %H:%M" if lang == "de" else "%Y-%m-%d %H:%M")
        return Cell(text, None, value.isoformat())
    if isinstance(value, date):
        text = value.strftime("%d.%m.%Y") if lang == "de" else value.isoformat()
        return Cell(text, None, value.isoformat())
    if isinstance(value, int | float):
        return Cell(with_unit(number(value, lang), unit), None, repr(value))
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False)
        return Cell(text, None, text)
    text = str(value)
    return Cell(text, text if _URL.match(text) else None, text)


@dataclass(frozen=True)
class Badge:
    """A status badge: the colour of the value's class and its legend label in the page
    language (``None``: show the value itself)."""

    color: str
    text: str | None = None


def badge(by: StyleByAttribute | None, name: str, value: Any, lang: Lang = "de") -> Badge | None:
    """The status badge of ``value`` when ``name`` is the attribute that colours the layer
    (``style.by_attribute``), else ``None``. List pages and the service pages
    (``/holzverkauf``, ``/dienste/…``) show it with ``templates/_badge.html``; with
    ``lang=en`` it says the English class label ("available"), as the legend does."""
    if by is None or by.attribute != name:
        return None
    if by.categories:
        category = category_of(by, value)
        return Badge(category.color, category_label(category, lang)) if category else None
    color = class_color(by, value)  # ranges: the colour alone (their label names the range)
    return Badge(color) if color else None


def _cell(layer: MapLayer, column: Field, value: Any, lang: Lang, yes_no: tuple[str, str]) -> Cell:
    """A formatted cell; the attribute that colours the layer gets its class colour as badge
    and its class label as text (the sort key stays the value)."""
    cell = format_value(value, lang, yes_no, column.unit)
    found = badge(layer.by_attribute, column.name, value, lang)
    if found is None:
        return cell
    return replace(cell, text=found.text or cell.text, badge=found.color)


def columns(layer: MapLayer, params: ListParams, words: dict[str, str]) -> list[Column]:
    """Columns with their sort state (``aria-sort`` only on the sorted column)."""
    result = []
    for f in layer.fields:
        active = params.sort == f.name
        state = (
            (words["descending"] if params.descending else words["ascending"]) if active else None
        )
        aria = ("descending" if params.descending else "ascending") if active else None
        next_value = f"-{f.name}" if active and not params.descending else f.name
        result.append(Column(f.name, f.label, f.type, aria if state else None, next_value))
    return result


def map_url(layer: MapLayer, row: Mapping[str, Any], lang: Lang, show_past: bool = False) -> str:
    """The city map centred on a feature, with its popup open (``alle=1`` kept)."""
    params = {"layers": layer.id, "zoom": str(FEATURE_ZOOM), "feature": f"{layer.id}:{row['fid']}"}
    lat, lon = row.get("@lat"), row.get("@lon")
    if lat is not None and lon is not None and math.isfinite(lat) and math.isfinite(lon):
        params["center"] = f"{lat:.5f},{lon:.5f}"
    if lang != "de":
        params["lang"] = lang
    if show_past:
        params["alle"] = "1"
    return "/?" + urlencode(params)


def list_page(
    layer: MapLayer,
    params: ListParams,
    data: TableRows,
    page: int,
    lang: Lang,
    words: dict[str, str],
    filters: ListFilters | None = None,
    options: tuple[FilterOption, ...] = (),
) -> ListPage:
    """Assemble the page model from rows read by the store."""
    filters = filters or ListFilters()
    yes_no = (words["yes"], words["no"])
    rows = [
        Row(
            fid=str(r["fid"]),
            cells=[_cell(layer, f, r.get(f.name), lang, yes_no) for f in layer.fields],
            map_url=map_url(layer, r, lang, filters.show_past),
            current=params.fid is not None and str(r["fid"]) == params.fid,
        )
        for r in data.rows
    ]
    return ListPage(
        layer=layer,
        columns=columns(layer, params, words),
        rows=rows,
        params=params,
        page=page,
        pages=pages_for(data.matched),
        total=data.total,
        matched=data.matched,
        lang=lang,
        filters=filters,
        options=options,
    )


def pages_for(matched: int) -> int:
    """Number of pages for ``matched`` rows (at least one)."""
    return max(1, math.ceil(matched / PER_PAGE))
