"""Opening hours in OpenStreetMap ``opening_hours`` syntax, evaluated in Europe/Berlin.

Parsing and evaluation are done by ``opening-hours-py`` (the Rust evaluator of the OSM
specification). Its holiday calendar for Germany knows only nationwide holidays, so ``PH``
is fed from ``holidays.Germany(subdiv="NI")`` instead: the expression is printed in the
library's canonical form and every rule that selects ``PH`` gets a twin rule with the
explicit dates of Lower Saxony's public holidays (the library itself is given no country,
so the ``holidays`` package is the only source of truth). Two corrections around the
autumn clock change, where a wall-clock time exists twice, are made in :func:`next_change`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import opening_hours
from opening_hours import OpeningHours, State

from buergergis.errors import InvalidParameter

log = logging.getLogger("buergergis.services.opening")

BERLIN = ZoneInfo("Europe/Berlin")
SUBDIVISION = "NI"
MAX_LENGTH = 500
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
MONTHS = (
    "Januar", "Februar", "März", "April", "Mai", "Juni",
    "Juli", "August", "September", "Oktober", "November", "Dezember",
)  # fmt: skip
_SEPARATORS = ("; ", ", ", " || ")
_DAY = r"(?:Mo|Tu|We|Th|Fr|Sa|Su)(?:\[[^\]]*\])?(?:-(?:Mo|Tu|We|Th|Fr|Sa|Su))?"
_WEEKDAY_TOKEN = re.compile(rf"^(?:{_DAY}|PH|SH)(?:,(?:{_DAY}|PH|SH))*$")
_OFFSET = re.compile(r"^[+-]?\d+$")
#: What the library raises for bad input (``ParserError`` is missing from its type stubs).
_PARSE_ERRORS: tuple[type[Exception], ...] = (
    SyntaxError,
    ValueError,
    getattr(opening_hours, "ParserError", SyntaxError),
)


class HoursError(InvalidParameter):
    """An opening-hours expression that cannot be parsed."""

    code = "InvalidOpeningHours"


@dataclass(frozen=True)
class OpeningStatus:
    """The state at ``at`` (Europe/Berlin) and when it changes next."""

    state: str
    at: datetime
    next_change: datetime | None
    comment: str
    holiday: str | None

    @property
    def is_open(self) -> bool:
        """Open right now."""
        return self.state == "open"

    @property
    def label(self) -> str:
        """ "Jetzt geöffnet", "Geschlossen" or "Öffnungszeiten unbekannt"."""
        return {"open": "Jetzt geöffnet", "closed": "Geschlossen"}.get(
            self.state, "Öffnungszeiten unbekannt"
        )

    @property
    def detail(self) -> str:
        """ "schließt heute um 12:00 Uhr", "öffnet morgen um 08:00 Uhr" or ""."""
        if self.next_change is None or self.state == "unknown":
            return ""
        verb = "schließt" if self.is_open else "öffnet"
        return f"{verb} {when(self.next_change, self.at)}"

    @property
    def text(self) -> str:
        """Label and detail in one line (the holiday named when it is one)."""
        parts = [self.label]
        if self.holiday and not self.is_open:
            parts[0] += f" ({self.holiday})"
        if self.detail:
            parts.append(self.detail)
        return " – ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "state": self.state,
            "open": self.is_open,
            "at": self.at.isoformat(),
            "next_change": self.next_change.isoformat() if self.next_change else None,
            "label": self.label,
            "text": self.text,
            "comment": self.comment or None,
            "holiday": self.holiday,
        }


def when(moment: datetime, now: datetime) -> str:
    """German relative phrase: "heute um 08:00 Uhr", "am Montag, 3. November, um 08:00 Uhr"."""
    local, base = moment.astimezone(BERLIN), now.astimezone(BERLIN)
    clock = f"{local:%H:%M} Uhr"
    days = (local.date() - base.date()).days
    if days == 0:
        return f"heute um {clock}"
    if days == 1:
        return f"morgen um {clock}"
    weekday = WEEKDAYS[local.weekday()]
    if 1 < days < 7:
        return f"am {weekday} um {clock}"
    return f"am {weekday}, {local.day}. {MONTHS[local.month - 1]}, um {clock}"


def to_berlin(moment: datetime | None = None) -> datetime:
    """``moment`` (aware, or naive meaning Berlin wall time) in Europe/Berlin; default now."""
    if moment is None:
        return datetime.now(BERLIN)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=BERLIN)
    return moment.astimezone(BERLIN)


@lru_cache(maxsize=16)
def holiday_calendar(year: int) -> dict[date, str]:
    """Lower Saxony's public holidays of ``year`` with their German names."""
    calendar = holidays.Germany(subdiv=SUBDIVISION, years=year, language="de")
    return dict(calendar.items())


def holidays_between(first_year: int, last_year: int) -> dict[date, str]:
    """Public holidays of the years ``first_year``..``last_year``."""
    result: dict[date, str] = {}
    for year in range(first_year, last_year + 1):
        result.update(holiday_calendar(year))
    return result


def _library(expression: str) -> OpeningHours:
    """The library's parser without holidays, timezone Europe/Berlin."""
    return OpeningHours(expression, timezone=BERLIN, auto_country=False, auto_timezone=False)


def canonical(expression: str) -> str:
    """The expression in the library's canonical form, or :class:`HoursError` in German."""
    value = (expression or "").strip()
    if not value:
        raise HoursError("Öffnungszeiten fehlen.")
    if len(value) > MAX_LENGTH:
        raise HoursError(f"Öffnungszeiten: höchstens {MAX_LENGTH} Zeichen.")
    try:
        return str(_library(value))
    except _PARSE_ERRORS as exc:
        raise HoursError(
            f"Öffnungszeiten '{value[:80]}' sind keine gültige opening_hours-Angabe "
            "(Beispiel: 'Mo-Fr 08:00-12:00; Do 14:00-18:00; PH off')."
        ) from exc


def _split(text: str, separators: tuple[str, ...]) -> list[tuple[str, str]]:
    """``(separator before, part)`` pairs, splitting outside double quotes."""
    parts: list[tuple[str, str]] = []
    start, sep, quoted, i = 0, "", False, 0
    while i < len(text):
        if text[i] == '"':
            quoted = not quoted
        elif not quoted:
            hit = next((s for s in separators if text.startswith(s, i)), None)
            if hit:
                parts.append((sep, text[start:i]))
                start, sep, i = i + len(hit), hit, i + len(hit)
                continue
        i += 1
    parts.append((sep, text[start:]))
    return parts


def _date_list(days: list[date]) -> str:
    return ",".join(f"{d.year} {_MONTHS_EN[d.month - 1]} {d.day:02d}" for d in days)


def _matches(wide: list[str], day: date) -> bool:
    """Whether the wide-range selectors (year, month, week) select ``day``."""
    if not wide:
        return True
    probe = _library(" ".join(wide) + " 00:00-24:00")
    return bool(probe.is_open(datetime.combine(day, time(12), BERLIN)))


def _rewrite_rule(rule: str, days: dict[date, str]) -> list[str]:
    """The rule without ``PH`` plus its twin for the explicit holiday dates."""
    tokens = [t for _, t in _split(rule, (" ",))]
    index = next(
        (i for i, t in enumerate(tokens) if _WEEKDAY_TOKEN.match(t) and "PH" in t.split(",")),
        None,
    )
    if index is None:
        return [rule]
    rest_at, offset = index + 1, 0
    if len(tokens) > index + 2 and _OFFSET.match(tokens[index + 1]) and tokens[index + 2] in {
        "day", "days",
    }:  # fmt: skip
        offset, rest_at = int(tokens[index + 1]), index + 3
    wide, rest = tokens[:index], tokens[rest_at:]
    others = [e for e in tokens[index].split(",") if e != "PH"]
    shifted = sorted(d + timedelta(days=offset) for d in days)
    chosen = [d for d in shifted if _matches(wide, d)]
    rules = [" ".join([*wide, ",".join(others), *rest])] if others else []
    if chosen:
        rules.append(" ".join([_date_list(chosen), *rest]))
    return rules


def with_holidays(expression: str, days: dict[date, str]) -> str:
    """The canonical expression with ``PH`` replaced by the explicit dates of ``days``."""
    out: list[str] = []
    for sep, rule in _split(canonical(expression), _SEPARATORS):
        joiner = sep or "; "
        for part in _rewrite_rule(rule, days):
            out.append((joiner if out else "") + part)
    return "".join(out) or "off"


@lru_cache(maxsize=512)
def compiled(expression: str, year: int) -> OpeningHours:
    """The evaluator for ``expression`` with the holidays of ``year`` ± 1 (cached).

    :class:`HoursError` for invalid input. Should the rewritten expression not parse (the
    library cannot re-read some of its own canonical output), the original expression is
    evaluated with the library's nationwide German holidays and a warning is logged.
    """
    rewritten = with_holidays(expression, holidays_between(year - 1, year + 1))
    try:
        return _library(rewritten)
    except _PARSE_ERRORS:
        log.warning("could not add Lower Saxony's holidays to %r", expression)
        return OpeningHours(
            expression, timezone=BERLIN, country="DE", auto_country=False, auto_timezone=False
        )


def validate(expression: str) -> str:
    """The stripped expression if it is valid (for staff edits); :class:`HoursError` else."""
    value = (expression or "").strip()
    compiled(value, to_berlin().year)
    return value


def _state(oh: OpeningHours, moment: datetime) -> tuple[str, str]:
    state, comment = oh.state(moment)
    name = {State.OPEN: "open", State.CLOSED: "closed"}.get(state, "unknown")
    return name, comment


def _transition(start: datetime, end: datetime) -> datetime | None:
    """The instant of a UTC-offset change in (start, end], to the second, if any."""
    lo, hi = start.astimezone(UTC), end.astimezone(UTC)
    if lo.astimezone(BERLIN).utcoffset() == hi.astimezone(BERLIN).utcoffset():
        return None
    while (hi - lo) > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(BERLIN).utcoffset() == lo.astimezone(BERLIN).utcoffset():
            lo = mid
        else:
            hi = mid
    return hi.replace(microsecond=0).astimezone(BERLIN)


def next_change(oh: OpeningHours, moment: datetime) -> datetime | None:
    """The next instant the state differs from the state at ``moment``.

    The library reports an ambiguous wall-clock time (autumn, 02:00–03:00 exists twice) at its
    later occurrence; the earlier occurrence and the clock change itself are checked as well.
    """
    reported = oh.next_change(moment)
    if reported is None:
        return None
    current = _state(oh, moment)[0]
    # Compare in UTC: aware datetimes of one zone compare by wall time and ignore ``fold``.
    start = moment.astimezone(UTC)
    candidates = {reported.astimezone(UTC), reported.replace(fold=0).astimezone(UTC)}
    switch = _transition(moment, reported)
    if switch is not None:
        candidates.add(switch.astimezone(UTC))
    for candidate in sorted(c for c in candidates if c > start):
        local = candidate.astimezone(BERLIN)
        if _state(oh, local)[0] != current:
            return local
    return reported.astimezone(UTC).astimezone(BERLIN)


def status(expression: str, at: datetime | None = None) -> OpeningStatus:
    """Open, closed or unknown at ``at`` (default: now), with the next change."""
    moment = to_berlin(at)
    oh = compiled((expression or "").strip(), moment.year)
    state, comment = _state(oh, moment)
    return OpeningStatus(
        state=state,
        at=moment,
        next_change=next_change(oh, moment),
        comment=comment,
        holiday=holiday_calendar(moment.year).get(moment.date()),
    )


def parse_moment(value: str | None) -> datetime | None:
    """The ``at`` parameter: ISO 8601, with offset or as Berlin wall time; ``None`` if empty."""
    if not value:
        return None
    try:
        return to_berlin(datetime.fromisoformat(value.strip().replace(" ", "T", 1)))
    except ValueError:
        raise InvalidParameter(
            f"Parameter 'at': '{value[:40]}' ist kein Zeitpunkt (Beispiel: 2026-12-24T10:00)."
        ) from None
