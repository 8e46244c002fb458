"""The audit log (``buergergis.audit_log``): who changed what, when, with which counts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

#: German labels of the recorded actions (shown to admins).
ACTIONS = {
    "publish": "Veröffentlicht",
    "replace": "Daten ersetzt",
    "rollback": "Zurückgesetzt",
    "account_add": "Konto angelegt",
    "account_change": "Konto geändert",
    "token_create": "API-Token erzeugt",
    "tokens_revoke": "API-Token widerrufen",
    "token_revoke": "API-Token widerrufen",
    "layer_edit": "Layer bearbeitet",
    "layer_public": "Öffentlich geschaltet",
    "layer_private": "Auf privat gestellt",
    "layer_delete": "In den Papierkorb gelegt",
    "layer_restore": "Wiederhergestellt",
    "layer_purge": "Endgültig gelöscht",
    # added by the city services (issue 7, buergergis/services/edit.py):
    "feature_edit": "Objekt bearbeitet",
    "kaufanfrage_bearbeitet": "Anfrage bearbeitet",
    "anfrage_export": "Anfrage exportiert (Art. 15 DSGVO)",
    "anfrage_geloescht": "Anfrage gelöscht (Art. 17 DSGVO)",
}


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log."""

    id: int
    at: datetime
    actor: str
    action: str
    layer_id: str | None
    version: int | None
    counts: dict[str, Any]
    details: dict[str, Any]

    @property
    def label(self) -> str:
        """German label of the action."""
        return ACTIONS.get(self.action, self.action)

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the API."""
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "label": self.label,
            "layer": self.layer_id,
            "version": self.version,
            "counts": self.counts,
            "details": self.details,
        }


def record(
    conn: Connection,
    actor: str,
    action: str,
    *,
    layer_id: str | None = None,
    version: int | None = None,
    counts: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one entry."""
    conn.execute(
        text(
            "INSERT INTO buergergis.audit_log (actor, action, layer_id, version, counts, details)"
            " VALUES (:actor, :action, :layer, :version, CAST(:counts AS jsonb),"
            " CAST(:details AS jsonb))"
        ),
        {
            "actor": actor,
            "action": action,
            "layer": layer_id,
            "version": version,
            "counts": json.dumps(counts or {}, default=str),
            "details": json.dumps(details or {}, default=str, ensure_ascii=False),
        },
    )


def entries(
    conn: Connection, *, layer_id: str | None = None, limit: int = 200, before: int | None = None
) -> list[AuditEntry]:
    """Newest entries first, optionally of one layer; ``before`` pages by id."""
    rows = conn.execute(
        text(
            "SELECT id, at, actor, action, layer_id, version, counts, details"
            " FROM buergergis.audit_log"
            " WHERE (CAST(:layer AS text) IS NULL OR layer_id = :layer)"
            " AND (CAST(:before AS bigint) IS NULL OR id < :before)"
            " ORDER BY id DESC LIMIT :limit"
        ),
        {"layer": layer_id, "before": before, "limit": limit},
    )
    return [AuditEntry(*r) for r in rows]
