"""Staff edits of single features of the service layers: parsing, checking, saving, auditing.

Every saved edit is a new layer version (``store.services.edits``), an audit-log entry and
an update of the feed change log — in one transaction, so nothing is half done.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine

from buergergis.catalog.models import Attribute
from buergergis.errors import InvalidParameter
from buergergis.services import config, opening
from buergergis.services.offices import HOURS
from buergergis.store import audit
from buergergis.store.catalog import LayerRecord
from buergergis.store.services import changes, edits, requests
from buergergis.store.services.edits import EditResult

MAX_TEXT = 2000
#: Date pairs that must not be reversed.
DATE_RANGES = (("abholung_von", "abholung_bis"), ("beginn", "ende"))
_TRUE = {"ja", "true", "1", "on", "y"}
_FALSE = {"nein", "false", "0", "off", "n"}


@dataclass(frozen=True)
class Field:
    """An editable attribute with its current value and the allowed values (if closed)."""

    attribute: Attribute
    value: Any
    choices: tuple[str, ...] | None

    @property
    def name(self) -> str:
        """Column name."""
        return self.attribute.name

    @property
    def input_value(self) -> str:
        """The value as a form input shows it."""
        if self.value is None:
            return ""
        if isinstance(self.value, bool):
            return "ja" if self.value else "nein"
        if isinstance(self.value, date | datetime):
            return self.value.isoformat()
        return str(self.value)


def fields(record: LayerRecord, values: Mapping[str, Any]) -> list[Field]:
    """The attributes of ``service.editable`` that the layer has, with current values."""
    known = {a.name: a for a in record.attributes}
    return [
        Field(known[n], values.get(n), config.choices(record, n))
        for n in config.editable(record)
        if n in known and known[n].type != "json"
    ]


def _number(raw: str, kind: type[int] | type[float]) -> int | float:
    cleaned = raw.replace(" ", "").replace(",", ".") if kind is float else raw.replace(" ", "")
    try:
        return kind(cleaned)
    except ValueError:
        raise ValueError(
            "ganze Zahl erwartet" if kind is int else "Zahl erwartet (z. B. 12,50)"
        ) from None


def _date(raw: str) -> date:
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise ValueError("Datum erwartet (TT.MM.JJJJ)")


def parse_value(attribute: Attribute, raw: str, choices: tuple[str, ...] | None) -> Any:
    """A typed value from form text (``ValueError`` with a German reason); ``""`` → NULL."""
    value = (raw or "").strip()
    if not value:
        return None
    if choices and value not in choices:
        raise ValueError(f"erlaubt: {', '.join(choices)}")
    if attribute.type == "integer":
        return _number(value, int)
    if attribute.type == "float":
        return _number(value, float)
    if attribute.type == "boolean":
        if value.lower() not in _TRUE | _FALSE:
            raise ValueError("ja oder nein")
        return value.lower() in _TRUE
    if attribute.type == "date":
        return _date(value)
    if attribute.type == "datetime":
        return opening.parse_moment(value)
    if len(value) > MAX_TEXT:
        raise ValueError(f"höchstens {MAX_TEXT} Zeichen")
    if attribute.name == HOURS:
        opening.validate(value)
    return value


def parse_changes(available: list[Field], form: Mapping[str, str]) -> dict[str, Any]:
    """Typed values of the submitted fields; one 400 naming every wrong field."""
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for field in available:
        if field.name not in form:
            continue
        try:
            values[field.name] = parse_value(field.attribute, form[field.name], field.choices)
        except opening.HoursError as exc:
            errors[field.attribute.label] = [exc.description]
        except (ValueError, InvalidParameter) as exc:
            errors[field.attribute.label] = [str(exc)]
    merged = {f.name: f.value for f in available} | values
    for start, end in DATE_RANGES:
        if merged.get(start) and merged.get(end) and merged[start] > merged[end]:
            errors.setdefault("Zeitraum", []).append(f"'{start}' liegt nach '{end}'.")
    if errors:
        raise InvalidParameter("Bitte die markierten Angaben prüfen.", details={"fields": errors})
    return values


def save(
    engine: Engine,
    record: LayerRecord,
    fid: str,
    values: Mapping[str, Any],
    *,
    actor: str,
    keep: int,
    expected_version: int | None = None,
    request_id: int | None = None,
) -> EditResult:
    """Save an edit as a new version with audit entry and feed update (one transaction)."""
    with engine.begin() as conn:
        if values:
            result = edits.edit_feature(
                conn, record.id, fid, values, actor=actor, keep=keep,
                expected_version=expected_version,
            )  # fmt: skip
        else:
            result = EditResult(record.id, fid, record.version, record.version, {})
        if result.changed:
            audit.record(
                conn, actor, "feature_edit", layer_id=record.id, version=result.version,
                details={"fid": fid, "changes": {k: list(v) for k, v in result.changes.items()}},
            )  # fmt: skip
            changes.sync(conn, record.id)
        if request_id is not None:
            outcome = ", ".join(f"{k}: {v[1]}" for k, v in result.changes.items()) or "unverändert"
            service = config.service_of(record)
            days = service.request.retention_days if service and service.request else 90
            requests.close_request(
                conn, request_id, actor=actor, ergebnis=outcome, retention_days=days
            )
            audit.record(
                conn, actor, "kaufanfrage_bearbeitet", layer_id=record.id,
                version=result.version, details={"anfrage": request_id, "fid": fid, "ergebnis": outcome},
            )  # fmt: skip
    return result
