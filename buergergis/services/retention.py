"""Personal data as German law expects (DSGVO): deletion after the retention period, and
export or deletion of one person's requests by reference number (Art. 15 and 17).

``buergergis anfragen purge`` (daily, e.g. a systemd timer) deletes every request whose
``purge_after`` has passed — requests ``retention_days`` after they were closed, applications
``retention_days`` after the job's deadline — with their attachments and mails, plus used form
tokens and old rate counters. It logs counts, never contents.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from buergergis.errors import NotFound
from buergergis.services import attachments
from buergergis.services.request_form import FORM_MAX_AGE
from buergergis.store.services import limits, outbox, requests
from buergergis.store.services.requests import ServiceRequest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PurgeReport:
    """What one purge deleted (counts only)."""

    requests: int
    attachments: int
    tokens: int
    counters: int


def purge(engine: Engine, var_dir: Path) -> PurgeReport:
    """Delete what is due; attachments are removed after the rows are gone."""
    with engine.begin() as conn:
        gone = requests.delete_due(conn)
        tokens = requests.forget_tokens(conn, FORM_MAX_AGE + 3600)
        counters = limits.forget(conn)
    files = sum(attachments.remove(var_dir, r.anhang) for r in gone)
    report = PurgeReport(len(gone), files, tokens, counters)
    log.info(
        "anfragen purge: %d requests, %d attachments, %d form tokens, %d rate counters deleted",
        report.requests, report.attachments, report.tokens, report.counters,
    )  # fmt: skip
    return report


def by_reference(conn: Connection, reference: str) -> ServiceRequest:
    """A request by its reference number (404 with a German message)."""
    found = requests.by_reference(conn, reference.strip()[:40]) if reference.strip() else None
    if found is None:
        raise NotFound(f"Eine Anfrage mit der Vorgangsnummer '{reference[:40]}' gibt es nicht.")
    return found[0]


def export(conn: Connection, request: ServiceRequest) -> dict[str, Any]:
    """Everything stored about a request (Art. 15): the request and the mails sent for it."""
    mails = outbox.for_request(conn, request.id)
    return {
        "anfrage": request.to_dict(),
        "emails": [
            {"an": m.recipient, "betreff": m.subject, "text": m.body,
             "erstellt": m.created_at.isoformat(),
             "gesendet": m.sent_at.isoformat() if m.sent_at else None}
            for m in mails
        ],
    }  # fmt: skip


def erase(engine: Engine, var_dir: Path, request_id: int) -> ServiceRequest:
    """Delete one request with its attachment and mails (Art. 17)."""
    with engine.begin() as conn:
        gone = requests.delete(conn, request_id)
    if gone is None:
        raise NotFound("Diese Anfrage gibt es nicht (mehr).")
    attachments.remove(var_dir, gone.anhang)
    log.info("anfrage %d deleted on request (Art. 17)", request_id)
    return gone
