"""The rules of RFC 4287 (The Atom Syndication Format) that a document can be checked against.

Returns a list of violations (empty: valid). Covers sections 3 (constructs: text, person,
date, IRI), 4.1.1 (atom:feed), 4.1.2 (atom:entry), 4.2 (metadata elements) and the
uniqueness of entry ids (4.1.1).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from lxml import etree

NS = "http://www.w3.org/2005/Atom"
A = f"{{{NS}}}"
#: RFC 3339 date-time as required by RFC 4287 section 3.3 (upper-case T and Z).
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
TEXT_TYPES = {"text", "html", "xhtml"}


def _count(parent: etree._Element, name: str) -> int:
    return len(parent.findall(A + name))


def _iri(value: str | None) -> bool:
    parts = urlsplit(value or "")
    return bool(parts.scheme) and bool(parts.netloc or parts.path)


def _exactly_one(
    parent: etree._Element, names: tuple[str, ...], where: str, out: list[str]
) -> None:
    for name in names:
        if _count(parent, name) != 1:
            out.append(f"{where}: atom:{name} muss genau einmal vorkommen ({_count(parent, name)})")


def _at_most_one(
    parent: etree._Element, names: tuple[str, ...], where: str, out: list[str]
) -> None:
    for name in names:
        if _count(parent, name) > 1:
            out.append(f"{where}: atom:{name} darf höchstens einmal vorkommen")


def _values(parent: etree._Element, where: str, out: list[str]) -> None:
    for el in parent.findall(A + "id"):
        if not _iri((el.text or "").strip()):
            out.append(f"{where}: atom:id ist keine absolute IRI: {el.text!r}")
    for name in ("updated", "published"):
        for el in parent.findall(A + name):
            if not DATE.match((el.text or "").strip()):
                out.append(f"{where}: atom:{name} ist kein RFC-3339-Zeitpunkt: {el.text!r}")
    for name in ("title", "subtitle", "rights", "summary"):
        for el in parent.findall(A + name):
            if el.get("type", "text") not in TEXT_TYPES:
                out.append(f"{where}: atom:{name} hat einen unzulässigen type")


def _links(parent: etree._Element, where: str, out: list[str]) -> None:
    links = parent.findall(A + "link")
    if any(not el.get("href") for el in links):
        out.append(f"{where}: atom:link ohne href")
    if any(not el.get("term") for el in parent.findall(A + "category")):
        out.append(f"{where}: atom:category ohne term")
    alternates = [(el.get("type"), el.get("hreflang")) for el in links
                  if el.get("rel", "alternate") == "alternate"]  # fmt: skip
    if len(alternates) != len(set(alternates)):
        out.append(f"{where}: mehrere alternate-Links mit gleichem type und hreflang")


def _common(parent: etree._Element, where: str, out: list[str]) -> None:
    _values(parent, where, out)
    _links(parent, where, out)
    for name in ("author", "contributor"):
        for el in parent.findall(A + name):
            _exactly_one(el, ("name",), f"{where}/{name}", out)
            _at_most_one(el, ("uri", "email"), f"{where}/{name}", out)


def _entry(entry: etree._Element, where: str, feed_has_author: bool, out: list[str]) -> None:
    _exactly_one(entry, ("id", "title", "updated"), where, out)
    _at_most_one(entry, ("published", "content", "summary", "rights", "source"), where, out)
    _common(entry, where, out)
    if not feed_has_author and not entry.findall(A + "author"):
        out.append(f"{where}: kein atom:author (weder am Eintrag noch am Feed)")
    content = entry.find(A + "content")
    links = entry.findall(A + "link")
    if content is None and not any(el.get("rel", "alternate") == "alternate" for el in links):
        out.append(f"{where}: ohne atom:content ist ein alternate-Link Pflicht")
    if content is not None and content.get("src") and entry.find(A + "summary") is None:
        out.append(f"{where}: content mit src verlangt atom:summary")


def violations(document: bytes) -> list[str]:
    """Every RFC 4287 rule the document breaks."""
    out: list[str] = []
    root = etree.fromstring(document)
    if root.tag != A + "feed":
        return [f"Wurzelelement ist {root.tag}, nicht atom:feed"]
    _exactly_one(root, ("id", "title", "updated"), "feed", out)
    _at_most_one(root, ("subtitle", "rights", "icon", "logo", "generator"), "feed", out)
    _common(root, "feed", out)
    has_author = bool(root.findall(A + "author"))
    ids = []
    for i, entry in enumerate(root.findall(A + "entry")):
        _entry(entry, f"entry[{i}]", has_author, out)
        ids.append((entry.findtext(A + "id") or "").strip())
    if len(ids) != len(set(ids)):
        out.append("feed: atom:id der Einträge ist nicht eindeutig")
    return out
