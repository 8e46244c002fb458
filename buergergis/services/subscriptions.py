"""E-mail subscriptions to a layer ("neue freie Holzlose", "neue Stellenangebote"), issue 16.

Double opt-in: :func:`subscribe` stores an unconfirmed row and puts a confirmation mail into
the outbox (``buergergis mail send`` delivers it); only :func:`confirm` makes it active.
:func:`notify` (``buergergis abo benachrichtigen``) finds new features the way the Atom feeds
do (``store.services.changes``) and queues one mail per subscriber with links to the features
and a one-click unsubscribe link. :func:`unsubscribe` deletes the row — the address is gone.
Nothing but the address and the language is stored about a person.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy import Connection, Engine

from buergergis.catalog.models import VectorLayer
from buergergis.errors import InvalidParameter, NotFound
from buergergis.store.catalog import LayerRecord, get_layer
from buergergis.store.services import changes, outbox
from buergergis.store.services import subscriptions as store

#: Unconfirmed subscriptions are deleted after this many days.
CONFIRM_DAYS = 7
#: At most this many features are named in one notice (the rest: "und N weitere").
MAX_LISTED = 20
_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


def parse_email(value: str | None) -> str:
    """A plausible e-mail address (trimmed), else a German error."""
    email = (value or "").strip()
    if len(email) > 254 or not _EMAIL.match(email):
        raise InvalidParameter("Bitte geben Sie eine gültige E-Mail-Adresse an.")
    return email


def require_subscribable(record: LayerRecord) -> VectorLayer:
    """Only public vector layers can be subscribed to."""
    if not isinstance(record.definition, VectorLayer) or not record.definition.public:
        raise NotFound(f"Die Ebene '{record.id}' lässt sich nicht abonnieren.")
    return record.definition


def _title(record: LayerRecord, lang: str) -> str:
    d = record.definition
    return (d.title_en if lang == "en" else None) or d.title


@dataclass(frozen=True)
class Links:
    """The links of a subscription's mails."""

    confirm: str
    unsubscribe: str


def links(public_url: str, token: str) -> Links:
    """Confirm and unsubscribe links of a token."""
    base = public_url.rstrip("/")
    return Links(f"{base}/abo/bestaetigen/{token}", f"{base}/abo/abmelden/{token}")


def subscribe(
    conn: Connection, record: LayerRecord, email: str, lang: str, public_url: str
) -> bool:
    """Store an unconfirmed subscription and queue the confirmation mail; ``False`` (and no
    mail) when the address is already confirmed for this layer."""
    require_subscribable(record)
    token = secrets.token_urlsafe(24)
    if not store.upsert(conn, record.id, email, lang, token):
        return False
    title, link = _title(record, lang), links(public_url, token)
    if lang == "en":
        subject = f"Please confirm: news about “{title}”"
        body = (
            f"Hello,\n\nsomeone (hopefully you) asked for an e-mail when there is something new "
            f"in “{title}” on the city map of Hameln.\n\nConfirm: {link.confirm}\n\n"
            f"If that was not you, ignore this mail: the address is deleted after "
            f"{CONFIRM_DAYS} days.\n\nCity of Hameln\n"
        )
    else:
        subject = f"Bitte bestätigen: Neues zu „{title}“"
        body = (
            f"Guten Tag,\n\njemand (hoffentlich Sie) möchte eine E-Mail bekommen, wenn es in "
            f"„{title}“ auf der Stadtkarte Hameln etwas Neues gibt.\n\n"
            f"Bestätigen: {link.confirm}\n\nWaren Sie das nicht? Dann ignorieren Sie diese "
            f"E-Mail: die Adresse wird nach {CONFIRM_DAYS} Tagen gelöscht.\n\nIhre Stadt Hameln\n"
        )
    outbox.add(conn, recipient=email, audience="citizen", subject=subject, body=body)
    return True


def _subscription(conn: Connection, token: str) -> store.Subscription:
    found = store.by_token(conn, token) if _TOKEN.match(token) else None
    if found is None:
        raise NotFound("Dieses Abo gibt es nicht (mehr) – vielleicht ist es schon abgemeldet.")
    return found


def lookup(conn: Connection, token: str) -> store.Subscription:
    """The subscription of a link's token (404 when unknown or already deleted)."""
    return _subscription(conn, token)


def confirm(conn: Connection, token: str) -> store.Subscription:
    """Double opt-in: activate the subscription (again: no change)."""
    found = _subscription(conn, token)
    store.confirm(conn, found.id)
    return found


def unsubscribe(conn: Connection, token: str) -> store.Subscription:
    """Delete the subscription and with it the address."""
    found = _subscription(conn, token)
    store.delete(conn, found.id)
    return found


def _notice(
    record: LayerRecord,
    sub: store.Subscription,
    found: list[tuple[str, str]],
    more: bool,
    public_url: str,
) -> tuple[str, str]:
    base, lang, title = public_url.rstrip("/"), sub.lang, _title(record, sub.lang)
    suffix = "&lang=en" if lang == "en" else ""
    lines = [
        f"- {label}: {base}/?layers={record.id}&feature={record.id}:{quote(fid, safe='')}{suffix}"
        for fid, label in found
    ]
    if more:
        lines.append("- …")
    unsub = links(public_url, sub.token).unsubscribe
    if lang == "en":
        subject = f"New in “{title}” ({len(found)}{'+' if more else ''})"
        body = (
            f"Hello,\n\nnew in “{title}” on the city map of Hameln:\n\n"
            + "\n".join(lines)
            + f"\n\nUnsubscribe with one click: {unsub}\n\nCity of Hameln\n"
        )
    else:
        subject = f"Neu in „{title}“ ({len(found)}{'+' if more else ''})"
        body = (
            f"Guten Tag,\n\nneu in „{title}“ auf der Stadtkarte Hameln:\n\n"
            + "\n".join(lines)
            + f"\n\nMit einem Klick abmelden: {unsub}\n\nIhre Stadt Hameln\n"
        )
    return subject, body


def notify(engine: Engine, public_url: str) -> int:
    """Queue one notice per subscriber with new features; delete stale unconfirmed rows.
    Returns the number of mails queued."""
    queued = 0
    with engine.begin() as conn:
        store.purge_unconfirmed(conn, CONFIRM_DAYS)
        layer_ids = store.confirmed_layers(conn)
    for layer_id in layer_ids:
        with engine.begin() as conn:
            record = get_layer(conn, layer_id)
            if record is None or not isinstance(record.definition, VectorLayer):
                continue
            live = changes.sync(conn, layer_id)
            label = record.definition.style.label or (
                record.definition.search[0] if record.definition.search else None
            )
            for sub in store.confirmed(conn, layer_id):
                if sub.seen_version >= live:
                    continue
                found = store.new_features(conn, record, label, sub.seen_version, MAX_LISTED + 1)
                if found:
                    subject, body = _notice(
                        record, sub, found[:MAX_LISTED], len(found) > MAX_LISTED, public_url
                    )
                    outbox.add(conn, recipient=sub.email, audience="citizen",
                               subject=subject, body=body)  # fmt: skip
                    queued += 1
                store.mark_seen(conn, sub.id, live)
    return queued
