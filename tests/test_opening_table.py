"""Opening hours as a readable weekly table (German and English), never the raw OSM syntax."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from buergergis.services import opening
from buergergis.services.opening_table import safe_week_table, status_text, week_table

HOURS = "Mo-We 08:00-16:00; Th 08:00-12:00,14:00-18:00; Fr 08:00-12:00; PH off"
TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=opening.BERLIN)
CHRISTMAS_WEEK = datetime(2026, 12, 22, 10, 0, tzinfo=opening.BERLIN)


def test_a_normal_week_in_german() -> None:
    table = week_table(HOURS, TUESDAY)
    lines = [(line.weekday, line.hours) for line in table.lines]
    assert lines == [
        ("Montag", "08:00–16:00 Uhr"),
        ("Dienstag", "08:00–16:00 Uhr"),
        ("Mittwoch", "08:00–16:00 Uhr"),
        ("Donnerstag", "08:00–12:00 Uhr und 14:00–18:00 Uhr"),
        ("Freitag", "08:00–12:00 Uhr"),
        ("Samstag", "geschlossen"),
        ("Sonntag", "geschlossen"),
    ]
    assert [line.day for line in table.lines][0] == date(2026, 11, 23)
    assert [line.is_today for line in table.lines] == [
        False,
        True,
        False,
        False,
        False,
        False,
        False,
    ]
    assert table.note == "An gesetzlichen Feiertagen geschlossen."
    assert "Mo-" not in " ".join(line.hours for line in table.lines)


def test_holidays_of_the_week_are_named_and_closed() -> None:
    table = week_table(HOURS, CHRISTMAS_WEEK)
    friday, saturday = table.lines[4], table.lines[5]
    assert friday.hours == "geschlossen – Feiertag: Erster Weihnachtstag"
    assert not friday.is_open
    assert saturday.hours == "geschlossen – Feiertag: Zweiter Weihnachtstag"
    assert table.lines[3].hours == "08:00–12:00 Uhr und 14:00–18:00 Uhr"


def test_english_week_and_holiday_names() -> None:
    table = week_table(HOURS, CHRISTMAS_WEEK, "en")
    assert [line.weekday for line in table.lines][:2] == ["Monday", "Tuesday"]
    assert table.lines[0].hours == "08:00–16:00"
    assert table.lines[4].hours == "closed – public holiday: Christmas Day"
    assert table.lines[6].hours == "closed"
    assert table.note == "Closed on public holidays."
    assert table.caption == "Opening hours this week"


def test_holiday_hours_in_words() -> None:
    table = week_table("Mo-Fr 08:00-12:00; PH 10:00-11:00", TUESDAY)
    assert table.note == "An gesetzlichen Feiertagen: 10:00–11:00 Uhr."
    assert week_table("Mo-Fr 08:00-12:00", TUESDAY).note == ""


def test_whole_day_and_unreadable() -> None:
    assert week_table("24/7", TUESDAY).lines[0].hours == "00:00–24:00 Uhr"
    assert safe_week_table("Mo-Fr 25:00-26:00", TUESDAY) is None
    with pytest.raises(opening.HoursError):
        week_table("kaputt", TUESDAY)


@pytest.mark.parametrize(
    ("at", "german", "english"),
    [
        (
            datetime(2026, 11, 24, 15, 0),
            "Jetzt geöffnet – schließt heute um 16:00 Uhr",
            "Open now – closes at 16:00",
        ),
        (
            datetime(2026, 11, 24, 17, 0),
            "Geschlossen – öffnet morgen um 08:00 Uhr",
            "Closed – opens tomorrow at 08:00",
        ),
        (
            datetime(2026, 12, 25, 10, 0),
            "Geschlossen (Erster Weihnachtstag) – öffnet am Montag um 08:00 Uhr",
            "Closed (Christmas Day) – opens on Monday at 08:00",
        ),
    ],
)
def test_status_line_in_both_languages(at: datetime, german: str, english: str) -> None:
    st = opening.status(HOURS, at)
    assert status_text(st, "de") == german
    assert status_text(st, "en") == english


def test_json_form_for_popups() -> None:
    data = week_table(HOURS, TUESDAY, "en").to_dict()
    assert data["days"][1] == {
        "date": "2026-11-24",
        "weekday": "Tuesday",
        "hours": "08:00–16:00",
        "open": True,
        "today": True,
        "holiday": None,
    }
    assert data["today_label"] == "today"
