"""Opening hours: Lower Saxony's holidays, midnight, and the clock changes (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import holidays
import pytest

from buergergis.services import opening
from buergergis.services.opening import BERLIN, HoursError, status

OFFICE = "Mo-Fr 08:00-12:00; PH off"
EVERY_DAY = "Mo-Su 08:00-18:00; PH off"


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def instant(moment: datetime | None) -> datetime | None:
    """UTC form: Python never calls an ambiguous wall time equal to another zone's time."""
    return moment.astimezone(UTC) if moment else None


def hours(a: datetime, b: datetime) -> float:
    """Elapsed real time in hours (via UTC: same-zone subtraction would use wall time)."""
    return (b.astimezone(UTC) - a.astimezone(UTC)).total_seconds() / 3600


NI_HOLIDAYS = sorted(holidays.Germany(subdiv="NI", years=range(2025, 2028)).items())


@pytest.mark.parametrize(("day", "name"), NI_HOLIDAYS, ids=[str(d) for d, _ in NI_HOLIDAYS])
def test_every_lower_saxony_holiday_is_closed(day: date, name: str) -> None:
    result = status(
        EVERY_DAY, datetime.combine(day, datetime.min.time(), BERLIN) + timedelta(hours=10)
    )
    assert result.state == "closed"
    assert result.holiday == holidays.Germany(subdiv="NI", years=day.year, language="de")[day]


def test_reformationstag_closed_in_lower_saxony_and_next_opening_skips_it() -> None:
    assert date(2025, 10, 31) in holidays.Germany(subdiv="NI", years=2025)
    assert date(2025, 10, 31) not in holidays.Germany(years=2025)  # not nationwide
    friday = status(OFFICE, berlin(2025, 10, 31, 10, 0))
    assert friday.state == "closed" and friday.holiday == "Reformationstag"
    assert friday.next_change == berlin(2025, 11, 3, 8, 0)
    thursday = status(OFFICE, berlin(2025, 10, 30, 13, 0))
    assert thursday.next_change == berlin(2025, 11, 3, 8, 0)
    assert thursday.detail == "öffnet am Montag um 08:00 Uhr"


def test_holiday_of_other_states_is_a_working_day() -> None:
    corpus_christi = date(2026, 6, 4)
    assert corpus_christi in holidays.Germany(subdiv="BY", years=2026)
    assert corpus_christi not in holidays.Germany(subdiv="NI", years=2026)
    result = status(OFFICE, berlin(2026, 6, 4, 9, 0))
    assert result.is_open and result.holiday is None
    assert result.next_change == berlin(2026, 6, 4, 12, 0)


def test_christmas_with_holiday_opening_times() -> None:
    hours_expr = "Mo-Fr 08:00-16:00; Sa,PH 10:00-12:00"
    assert status(hours_expr, berlin(2025, 12, 24, 15, 0)).is_open  # Heiligabend: no holiday
    assert status(hours_expr, berlin(2025, 12, 25, 11, 0)).is_open
    afternoon = status(hours_expr, berlin(2025, 12, 25, 15, 0))
    assert afternoon.state == "closed"
    assert afternoon.next_change == berlin(2025, 12, 26, 10, 0)


def test_easter_friday_and_monday_closed_saturday_open() -> None:
    expr = "Mo-Sa 08:00-12:00; PH off"
    assert status(expr, berlin(2026, 4, 3, 9, 0)).holiday == "Karfreitag"
    assert not status(expr, berlin(2026, 4, 3, 9, 0)).is_open
    assert status(expr, berlin(2026, 4, 4, 9, 0)).is_open
    monday = status(expr, berlin(2026, 4, 6, 9, 0))
    assert not monday.is_open and monday.holiday == "Ostermontag"
    assert monday.next_change == berlin(2026, 4, 7, 8, 0)


def test_next_opening_crosses_the_year_into_a_holiday() -> None:
    result = status(OFFICE, berlin(2026, 12, 31, 13, 0))
    assert date(2027, 1, 1) in holidays.Germany(subdiv="NI", years=2027)
    assert result.next_change == berlin(2027, 1, 4, 8, 0)


def test_wide_selector_and_offset_on_holidays() -> None:
    december_only = "Mo-Su 08:00-18:00; Dec PH off"
    assert status(december_only, berlin(2025, 10, 31, 10, 0)).is_open
    assert not status(december_only, berlin(2025, 12, 25, 10, 0)).is_open
    day_after = "Mo-Su 08:00-18:00; PH +1 day off"
    assert status(day_after, berlin(2025, 10, 31, 10, 0)).is_open
    assert not status(day_after, berlin(2025, 11, 1, 10, 0)).is_open


def test_past_midnight() -> None:
    night = "Mo-Fr 22:00-02:00"
    friday = status(night, berlin(2026, 11, 27, 23, 0))
    assert friday.is_open and friday.next_change == berlin(2026, 11, 28, 2, 0)
    assert friday.detail == "schließt morgen um 02:00 Uhr"
    assert status(night, berlin(2026, 11, 28, 1, 0)).is_open  # Friday's night
    assert not status(night, berlin(2026, 11, 29, 1, 0)).is_open  # no Saturday rule
    assert not status(night, berlin(2026, 11, 30, 1, 0)).is_open  # no Sunday rule
    assert status(night, berlin(2026, 12, 1, 1, 0)).is_open


def test_past_midnight_into_a_holiday() -> None:
    night = "Mo-Fr 22:00-02:00; PH off"
    thursday = status(night, berlin(2025, 10, 30, 23, 0))
    assert thursday.is_open
    # The holiday rule replaces the whole of Friday, including Thursday's overhang.
    assert thursday.next_change == berlin(2025, 10, 31, 0, 0)
    assert not status(night, berlin(2025, 10, 31, 1, 0)).is_open


def test_spring_forward() -> None:
    night = "Mo-Su 22:00-06:00"
    saturday = status(night, berlin(2026, 3, 28, 23, 0))
    assert saturday.next_change == berlin(2026, 3, 29, 6, 0)
    assert hours(saturday.at, saturday.next_change) == 6  # one hour less that night
    # An office opens at 08:00 wall time: 07:00 UTC in winter, 06:00 UTC in summer.
    assert not status(OFFICE, utc(2026, 3, 27, 6, 30)).is_open
    assert status(OFFICE, utc(2026, 3, 30, 6, 30)).is_open
    gap = "Su 02:00-03:00"  # that hour does not exist on 29 March 2026
    assert status(gap, berlin(2026, 3, 29, 0, 30)).next_change != berlin(2026, 3, 29, 2, 0)
    assert not status(gap, utc(2026, 3, 29, 1, 0)).is_open


def test_fall_back() -> None:
    night = "Mo-Su 22:00-06:00"
    saturday = status(night, berlin(2026, 10, 24, 23, 0))
    assert saturday.next_change == berlin(2026, 10, 25, 6, 0)
    assert hours(saturday.at, saturday.next_change) == 8  # one hour more that night
    assert status(OFFICE, utc(2026, 10, 23, 6, 30)).is_open  # 08:30 CEST
    assert not status(OFFICE, utc(2026, 10, 26, 6, 30)).is_open  # 07:30 CET


def test_ambiguous_hour_in_autumn() -> None:
    """00:00-02:30 on 25 Oct 2026: 02:00-02:30 happens twice, so it opens twice."""
    expr = "Mo-Su 00:00-02:30"
    first = status(expr, utc(2026, 10, 25, 0, 10))  # 02:10 CEST
    assert first.is_open and instant(first.next_change) == utc(2026, 10, 25, 0, 30)
    between = status(expr, utc(2026, 10, 25, 0, 40))  # 02:40 CEST
    assert not between.is_open and instant(between.next_change) == utc(2026, 10, 25, 1, 0)
    second = status(expr, utc(2026, 10, 25, 1, 10))  # 02:10 CET
    assert second.is_open and instant(second.next_change) == utc(2026, 10, 25, 1, 30)


def test_unknown_and_comment() -> None:
    result = status('Mo-Fr 08:00-12:00 unknown "nach Vereinbarung"', berlin(2026, 11, 23, 9))
    assert result.state == "unknown" and result.comment == "nach Vereinbarung"
    assert result.label == "Öffnungszeiten unbekannt" and result.detail == ""


def test_naive_times_are_berlin_wall_time() -> None:
    assert status(OFFICE, datetime(2026, 11, 23, 8, 30)).is_open
    assert opening.parse_moment("2026-11-23 08:30") == berlin(2026, 11, 23, 8, 30)
    assert opening.parse_moment("2026-11-23T07:30:00Z") == berlin(2026, 11, 23, 8, 30)


@pytest.mark.parametrize("bad", ["", "Mo-Fr 25:00-26:00", "geöffnet", "x" * 600])
def test_invalid_expressions_give_a_german_400(bad: str) -> None:
    with pytest.raises(HoursError) as err:
        status(bad, berlin(2026, 11, 23, 9))
    assert err.value.status == 400
    assert "Öffnungszeiten" in err.value.description


def test_validate_keeps_the_expression_as_written() -> None:
    assert opening.validate(" Mo-Fr 08:00-12:00;PH off ") == "Mo-Fr 08:00-12:00;PH off"
    assert opening.canonical("Mo-Fr 08:00-12:00;PH off") == "Mo-Fr 08:00-12:00; PH closed"


def test_parse_moment_rejects_garbage() -> None:
    with pytest.raises(opening.InvalidParameter):
        opening.parse_moment("morgen früh")


def test_when_phrases() -> None:
    now = berlin(2026, 11, 23, 9, 0)
    assert opening.when(berlin(2026, 11, 23, 14, 0), now) == "heute um 14:00 Uhr"
    assert opening.when(berlin(2026, 11, 24, 8, 0), now) == "morgen um 08:00 Uhr"
    assert opening.when(berlin(2026, 11, 26, 8, 0), now) == "am Donnerstag um 08:00 Uhr"
    assert opening.when(berlin(2026, 12, 7, 8, 0), now) == "am Montag, 7. Dezember, um 08:00 Uhr"
