"""Opening hours as a readable weekly table (German or English), never the raw OSM syntax.

The table shows the current week (Monday to Sunday, Europe/Berlin) as the evaluator of
:mod:`buergergis.services.opening` sees it, so public holidays of Lower Saxony that fall into
this week appear in words ("geschlossen – Feiertag: 1. Weihnachtstag"). Today's line is
marked. A note says how the expression treats public holidays in general.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

import holidays
from opening_hours import OpeningHours, State

from buergergis.services.opening import (
    BERLIN,
    SUBDIVISION,
    WEEKDAYS,
    HoursError,
    OpeningStatus,
    canonical,
    compiled,
    holiday_calendar,
    to_berlin,
)
from buergergis.values import Lang

WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "closed": "geschlossen",
        "unknown": "keine Angabe",
        "holiday": "Feiertag: {name}",
        "clock": "{start}–{end} Uhr",
        "and": " und ",
        "ph_closed": "An gesetzlichen Feiertagen geschlossen.",
        "ph_open": "An gesetzlichen Feiertagen: {hours}.",
        "unreadable": "Öffnungszeiten nicht lesbar – bitte telefonisch erfragen.",
        "caption": "Öffnungszeiten diese Woche",
        "today": "heute",
    },
    "en": {
        "closed": "closed",
        "unknown": "not stated",
        "holiday": "public holiday: {name}",
        "clock": "{start}–{end}",
        "and": " and ",
        "ph_closed": "Closed on public holidays.",
        "ph_open": "On public holidays: {hours}.",
        "unreadable": "Opening hours cannot be read – please ask by phone.",
        "caption": "Opening hours this week",
        "today": "today",
    },
}
_STATUS_EN = {"open": "Open now", "closed": "Closed"}
_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


@lru_cache(maxsize=16)
def _holidays_en(year: int) -> dict[date, str]:
    """Lower Saxony's public holidays of ``year`` with English names."""
    return dict(holidays.Germany(subdiv=SUBDIVISION, years=year, language="en_US").items())


def holiday_name(day: date, lang: Lang = "de") -> str | None:
    """The name of the public holiday on ``day`` in ``lang``, or ``None``."""
    return (holiday_calendar if lang == "de" else _holidays_en)(day.year).get(day)


def _when_en(moment: datetime, now: datetime) -> str:
    """English relative phrase: "at 08:00", "tomorrow at 08:00", "on Monday, 3 November at …"."""
    local, base = moment.astimezone(BERLIN), now.astimezone(BERLIN)
    days = (local.date() - base.date()).days
    clock = f"{local:%H:%M}"
    if days == 0:
        return f"at {clock}"
    if days == 1:
        return f"tomorrow at {clock}"
    weekday = WEEKDAYS_EN[local.weekday()]
    if 1 < days < 7:
        return f"on {weekday} at {clock}"
    return f"on {weekday}, {local.day} {_MONTHS_EN[local.month - 1]} at {clock}"


def status_text(st: OpeningStatus, lang: Lang = "de") -> str:
    """The one-line status ("Jetzt geöffnet – schließt heute um 18:00 Uhr" or in English
    "Open now – closes at 18:00")."""
    if lang == "de":
        return st.text
    label = _STATUS_EN.get(st.state, "Opening hours unknown")
    holiday = holiday_name(st.at.date(), "en") if st.holiday else None
    if holiday and not st.is_open:
        label += f" ({holiday})"
    if st.next_change is None or st.state == "unknown":
        return label
    verb = "closes" if st.is_open else "opens"
    return f"{label} – {verb} {_when_en(st.next_change, st.at)}"


@dataclass(frozen=True)
class DayLine:
    """One weekday of the table."""

    day: date
    weekday: str
    hours: str
    is_open: bool
    is_today: bool
    holiday: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON form (for map popups)."""
        return {
            "date": self.day.isoformat(),
            "weekday": self.weekday,
            "hours": self.hours,
            "open": self.is_open,
            "today": self.is_today,
            "holiday": self.holiday,
        }


@dataclass(frozen=True)
class WeekTable:
    """Seven lines (Monday first) and a note on public holidays."""

    lines: tuple[DayLine, ...]
    note: str
    caption: str
    today_label: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form (for map popups)."""
        return {
            "caption": self.caption,
            "today_label": self.today_label,
            "days": [line.to_dict() for line in self.lines],
            "note": self.note or None,
        }


def _clock(moment: datetime, day: date) -> str:
    """``HH:MM``; the end of the day is written ``24:00``."""
    local = moment.astimezone(BERLIN)
    return "24:00" if local.date() > day and local.time() == time(0) else f"{local:%H:%M}"


def _day_hours(oh: OpeningHours, day: date) -> tuple[list[tuple[str, str]], bool]:
    """Open spans of one day (clock strings) and whether any part is unknown."""
    start = datetime.combine(day, time(0), BERLIN)
    end = datetime.combine(day + timedelta(days=1), time(0), BERLIN)
    spans: list[tuple[str, str]] = []
    unknown = False
    for begin, finish, state, _comment in oh.intervals(start, end):
        if state == State.OPEN:
            spans.append((_clock(max(begin, start), day), _clock(min(finish, end), day)))
        elif state == State.UNKNOWN:
            unknown = True
    return spans, unknown


def _words(spans: list[tuple[str, str]], t: dict[str, str]) -> str:
    return t["and"].join(t["clock"].format(start=s, end=e) for s, e in spans)


def _holiday_note(expression: str, oh: OpeningHours, at: datetime, t: dict[str, str]) -> str:
    """How public holidays are treated, judged on the next weekday holiday (if ``PH`` is used)."""
    if "PH" not in canonical(expression):
        return ""
    days = sorted(d for year in (at.year, at.year + 1) for d in holiday_calendar(year))
    probe = next((d for d in days if d >= at.date() and d.weekday() < 5), None)
    if probe is None:
        return ""
    spans, _ = _day_hours(oh, probe)
    return t["ph_open"].format(hours=_words(spans, t)) if spans else t["ph_closed"]


def week_table(expression: str, at: datetime | None = None, lang: Lang = "de") -> WeekTable:
    """The week of ``at`` (default now) as readable lines; :class:`HoursError` if unreadable."""
    moment = to_berlin(at)
    t = _TEXTS[lang]
    names = WEEKDAYS if lang == "de" else WEEKDAYS_EN
    value = (expression or "").strip()
    oh = compiled(value, moment.year)
    monday = moment.date() - timedelta(days=moment.weekday())
    lines = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        holiday = holiday_name(day, lang)
        spans, unknown = _day_hours(compiled(value, day.year), day)
        if spans:
            hours = _words(spans, t)
        else:
            hours = t["unknown"] if unknown else t["closed"]
            if holiday:
                hours += " – " + t["holiday"].format(name=holiday)
        lines.append(DayLine(day, names[offset], hours, bool(spans), day == moment.date(), holiday))
    note = _holiday_note(value, oh, moment, t)
    return WeekTable(tuple(lines), note, t["caption"], t["today"])


def safe_week_table(
    expression: str, at: datetime | None = None, lang: Lang = "de"
) -> WeekTable | None:
    """:func:`week_table`, or ``None`` when the hours in the data cannot be read."""
    try:
        return week_table(expression, at, lang)
    except HoursError:
        return None


def unreadable(lang: Lang = "de") -> str:
    """What to show instead of a table for unreadable hours."""
    return _TEXTS[lang]["unreadable"]
