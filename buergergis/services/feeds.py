"""Atom feeds (RFC 4287) of new and changed features, one per public vector layer.

Entries come from the change log (``store.services.changes``): one entry per live feature,
newest change first, with ``published`` = the version in which it appeared and ``updated``
= the version in which its content last changed. An entry keeps its ``id`` when the feature
changes, so feed readers show it as updated. Layers with a "hide past" rule (Ferienaktionen,
Stellenangebote) list only current entries. The XML is written by ``feedgen``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from feedgen.feed import FeedGenerator
from markupsafe import Markup, escape

from buergergis.catalog.models import VectorLayer
from buergergis.services.formatting import fmt, units
from buergergis.store.catalog import LayerRecord
from buergergis.store.services.changes import Change

LIMIT = 50
MAX_FIELDS = 12


@dataclass(frozen=True)
class FeedInfo:
    """What a feed needs besides its entries."""

    record: LayerRecord
    base_url: str
    fields: tuple[str, ...]
    label: str | None

    @property
    def self_url(self) -> str:
        """Where the feed lives."""
        return f"{self.base_url}/feeds/{self.record.id}.atom"

    def item_url(self, fid: str) -> str:
        """The OGC API item (also the entry's permanent id)."""
        return f"{self.base_url}/ogc/collections/{self.record.id}/items/{quote(fid, safe='')}"

    def list_url(self, fid: str | None = None) -> str:
        """The list page, optionally scrolled to one feature."""
        suffix = f"?fid={quote(fid, safe='')}" if fid else ""
        return f"{self.base_url}/liste/{self.record.id}{suffix}"


def feed_info(record: LayerRecord, base_url: str) -> FeedInfo:
    """Fields shown in entries (popup fields, else the first attributes) and the label field."""
    definition = record.definition
    names = [a.name for a in record.attributes if a.type != "json"]
    popup = definition.popup if isinstance(definition, VectorLayer) else ()
    chosen = tuple(n for n in popup if n in names) or tuple(names[:MAX_FIELDS])
    label = definition.style.label if isinstance(definition, VectorLayer) else None
    if label not in names:
        label = chosen[0] if chosen else None
    return FeedInfo(record, base_url.rstrip("/"), chosen[:MAX_FIELDS], label)


def entry_html(info: FeedInfo, change: Change) -> str:
    """The entry content: a small definition list of the shown fields (values escaped)."""
    labels = {a.name: a.label for a in info.record.attributes}
    shown_units = units(info.record.attributes)
    parts = []
    for name in info.fields:
        value = change.values.get(name)
        if value is None or value == "":
            continue
        shown = escape(fmt(value, shown_units.get(name)))
        if isinstance(value, str) and value.startswith(("https://", "http://")):
            shown = Markup('<a href="{0}">{0}</a>').format(value)
        parts.append(Markup("<dt>{}</dt><dd>{}</dd>").format(labels.get(name, name), shown))
    return str(Markup("<dl>{}</dl>").format(Markup("").join(parts)))


def entry_title(info: FeedInfo, change: Change) -> str:
    """ "Neu: …" or "Geändert: …" with the feature's label."""
    label = change.values.get(info.label) if info.label else None
    name = fmt(label) if label not in (None, "") else change.fid
    return f"{'Neu' if change.is_new else 'Geändert'}: {name}"


def build(info: FeedInfo, entries: list[Change]) -> bytes:
    """The Atom document."""
    record = info.record
    definition = record.definition
    fg = FeedGenerator()
    fg.id(info.self_url)
    fg.title(f"{definition.title} – neu und geändert")
    fg.subtitle(definition.description or definition.title)
    fg.link(href=info.self_url, rel="self", type="application/atom+xml")
    fg.link(href=info.list_url(), rel="alternate", type="text/html")
    fg.author({"name": definition.attribution})
    fg.rights(f"Lizenz: {definition.license} – {definition.attribution}")
    fg.language("de")
    fg.generator("BürgerGIS Hameln")
    newest = max((c.changed_at for c in entries), default=None)
    fg.updated(newest or record.loaded_at or datetime(2000, 1, 1).astimezone())
    for change in entries:
        fe = fg.add_entry(order="append")
        fe.id(info.item_url(change.fid))
        fe.title(entry_title(info, change))
        fe.updated(change.changed_at)
        fe.published(change.first_at)
        # One link only: feedgen 1.0.0 drops rel/type of entry links (the id is the item URL).
        fe.link(href=info.list_url(change.fid), rel="alternate", type="text/html")
        fe.category(term="neu" if change.is_new else "geaendert",
                    label="Neu" if change.is_new else "Geändert")  # fmt: skip
        fe.content(entry_html(info, change), type="html")
    data: bytes = fg.atom_str(pretty=True)
    return data
