"""Dose times on every day of the year, DST transitions included (DESIGN.md "Rules")."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from medications.recurrence import (
    DAILY,
    EVERY_N_DAYS,
    EVERY_N_HOURS,
    WEEKLY,
    Recurrence,
    occurrences,
    start_of_day,
)

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
SYDNEY = ZoneInfo("Australia/Sydney")


def local(instants: list[dt.datetime], zone: ZoneInfo) -> list[str]:
    return [i.astimezone(zone).strftime("%m-%d %H:%M %Z") for i in instants]


def day_window(day: dt.date, zone: ZoneInfo, days: int = 1) -> tuple[dt.datetime, dt.datetime]:
    return start_of_day(day, zone), start_of_day(day + dt.timedelta(days=days), zone)


def times(*values: str) -> tuple[dt.time, ...]:
    return tuple(dt.time.fromisoformat(v) for v in values)


class TestClockTime:
    def test_a_missing_time_moves_forward_by_the_gap(self) -> None:
        day = dt.date(2026, 3, 8)  # New York springs forward at 02:00
        rec = Recurrence(DAILY, times("02:30", "08:00"), start=day)
        assert local(occurrences(rec, NEW_YORK, *day_window(day, NEW_YORK)), NEW_YORK) == [
            "03-08 03:30 EDT",
            "03-08 08:00 EDT",
        ]

    def test_a_repeated_time_is_taken_once_at_its_first_occurrence(self) -> None:
        day = dt.date(2026, 11, 1)  # New York falls back at 02:00
        rec = Recurrence(DAILY, times("01:30"), start=day)
        (instant,) = occurrences(rec, NEW_YORK, *day_window(day, NEW_YORK))
        assert instant == dt.datetime(2026, 11, 1, 5, 30, tzinfo=dt.UTC)  # 01:30 EDT
        assert local([instant], NEW_YORK) == ["11-01 01:30 EDT"]

    def test_two_times_meeting_in_the_gap_give_one_dose(self) -> None:
        day = dt.date(2026, 3, 29)  # Berlin springs forward 02:00 → 03:00
        rec = Recurrence(DAILY, times("02:30", "03:30"), start=day)
        assert local(occurrences(rec, BERLIN, *day_window(day, BERLIN)), BERLIN) == [
            "03-29 03:30 CEST"
        ]

    def test_08_00_stays_08_00_across_both_transitions(self) -> None:
        rec = Recurrence(DAILY, times("08:00"), start=dt.date(2026, 3, 27))
        spring = local(
            occurrences(rec, BERLIN, *day_window(dt.date(2026, 3, 28), BERLIN, days=3)), BERLIN
        )
        autumn = local(
            occurrences(rec, BERLIN, *day_window(dt.date(2026, 10, 24), BERLIN, days=3)), BERLIN
        )
        assert spring == ["03-28 08:00 CET", "03-29 08:00 CEST", "03-30 08:00 CEST"]
        assert autumn == ["10-24 08:00 CEST", "10-25 08:00 CET", "10-26 08:00 CET"]

    def test_sydney_in_the_southern_hemisphere(self) -> None:
        autumn = dt.date(2026, 4, 5)  # 03:00 AEDT → 02:00 AEST
        spring = dt.date(2026, 10, 4)  # 02:00 AEST → 03:00 AEDT
        rec = Recurrence(DAILY, times("02:30"), start=dt.date(2026, 1, 1))
        assert local(occurrences(rec, SYDNEY, *day_window(autumn, SYDNEY)), SYDNEY) == [
            "04-05 02:30 AEDT"
        ]
        assert local(occurrences(rec, SYDNEY, *day_window(spring, SYDNEY)), SYDNEY) == [
            "10-04 03:30 AEDT"
        ]

    def test_weekdays_and_every_n_days(self) -> None:
        start = dt.date(2026, 11, 23)  # a Monday
        weekdays = Recurrence(WEEKLY, times("08:00"), start=start, weekdays=frozenset({1, 3, 5}))
        every_3 = Recurrence(EVERY_N_DAYS, times("21:00"), start=start, interval=3)
        window = day_window(start, BERLIN, days=10)
        assert local(occurrences(weekdays, BERLIN, *window), BERLIN) == [
            "11-23 08:00 CET",
            "11-25 08:00 CET",
            "11-27 08:00 CET",
            "11-30 08:00 CET",
            "12-02 08:00 CET",
        ]
        assert [i.astimezone(BERLIN).day for i in occurrences(every_3, BERLIN, *window)] == [
            23,
            26,
            29,
            2,
        ]

    def test_the_date_range_is_whole_local_days(self) -> None:
        rec = Recurrence(
            DAILY, times("00:00", "23:59"), start=dt.date(2026, 5, 1), end=dt.date(2026, 5, 2)
        )
        found = occurrences(rec, SYDNEY, *day_window(dt.date(2026, 4, 29), SYDNEY, days=6))
        assert local(found, SYDNEY) == [
            "05-01 00:00 AEST",
            "05-01 23:59 AEST",
            "05-02 00:00 AEST",
            "05-02 23:59 AEST",
        ]


class TestElapsedTime:
    def test_every_8_hours_counts_real_hours_and_shifts_on_the_clock(self) -> None:
        rec = Recurrence(EVERY_N_HOURS, times("06:00"), start=dt.date(2026, 3, 7), interval=8)
        found = occurrences(rec, NEW_YORK, *day_window(dt.date(2026, 3, 7), NEW_YORK, days=3))
        assert local(found, NEW_YORK) == [
            "03-07 06:00 EST",
            "03-07 14:00 EST",
            "03-07 22:00 EST",
            "03-08 07:00 EDT",
            "03-08 15:00 EDT",
            "03-08 23:00 EDT",
            "03-09 07:00 EDT",
            "03-09 15:00 EDT",
            "03-09 23:00 EDT",
        ]
        gaps = {b - a for a, b in itertools.pairwise(found)}
        assert gaps == {dt.timedelta(hours=8)}

    def test_a_window_far_from_the_start_jumps_straight_there(self) -> None:
        rec = Recurrence(EVERY_N_HOURS, times("00:00"), start=dt.date(2016, 1, 1), interval=6)
        found = occurrences(rec, dt.UTC, *day_window(dt.date(2026, 1, 1), ZoneInfo("UTC")))
        assert [i.hour for i in found] == [0, 6, 12, 18]

    def test_it_stops_at_the_end_date(self) -> None:
        rec = Recurrence(
            EVERY_N_HOURS,
            times("20:00"),
            start=dt.date(2026, 1, 1),
            end=dt.date(2026, 1, 1),
            interval=3,
        )
        found = occurrences(rec, BERLIN, *day_window(dt.date(2026, 1, 1), BERLIN, days=3))
        assert local(found, BERLIN) == ["01-01 20:00 CET", "01-01 23:00 CET"]


def test_a_taper_across_a_transition_hands_over_at_local_midnight() -> None:
    """2 tablets 26 to 29 March, then 1 tablet to 2 April; Berlin springs forward on the 29th."""
    first = Recurrence(
        DAILY, times("08:00", "20:00"), start=dt.date(2026, 3, 26), end=dt.date(2026, 3, 29)
    )
    second = Recurrence(DAILY, times("08:00"), start=dt.date(2026, 3, 30), end=dt.date(2026, 4, 2))
    window = day_window(dt.date(2026, 3, 25), BERLIN, days=10)
    a, b = occurrences(first, BERLIN, *window), occurrences(second, BERLIN, *window)
    assert len(a) == 8
    assert len(b) == 4
    assert max(a) < min(b)
    assert local([a[-1], b[0]], BERLIN) == ["03-29 20:00 CEST", "03-30 08:00 CEST"]


ZONES = st.sampled_from(
    ["America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata", "UTC"]
)
CLOCK_TIMES = st.lists(
    st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    min_size=1,
    max_size=6,
    unique=True,
)


@st.composite
def recurrences(draw: st.DrawFn) -> Recurrence:
    frequency = draw(st.sampled_from([DAILY, WEEKLY, EVERY_N_DAYS, EVERY_N_HOURS]))
    start = draw(st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2027, 12, 31)))
    end = draw(st.none() | st.integers(0, 60).map(lambda n: start + dt.timedelta(days=n)))
    chosen = draw(CLOCK_TIMES)
    if frequency == EVERY_N_HOURS:
        return Recurrence(
            frequency, tuple(chosen[:1]), start, end, interval=draw(st.integers(1, 24))
        )
    weekdays = frozenset(draw(st.lists(st.integers(1, 7), min_size=1, max_size=7)))
    return Recurrence(
        frequency, tuple(chosen), start, end, weekdays=weekdays, interval=draw(st.integers(1, 10))
    )


@settings(max_examples=300, deadline=None)
@given(recurrence=recurrences(), zone_name=ZONES, offset=st.integers(-5, 70))
def test_generated_schedules_are_unique_sorted_and_inside_their_dates(
    recurrence: Recurrence, zone_name: str, offset: int
) -> None:
    zone = ZoneInfo(zone_name)
    since, until = day_window(recurrence.start + dt.timedelta(days=offset), zone, days=14)
    found = occurrences(recurrence, zone, since, until)

    assert found == sorted(set(found))
    assert all(since <= instant < until for instant in found)
    for instant in found:
        day = instant.astimezone(zone).date()
        assert day >= recurrence.start
        assert recurrence.end is None or day <= recurrence.end
        if recurrence.frequency != EVERY_N_HOURS:
            assert recurrence.falls_on(day)


@settings(max_examples=200, deadline=None)
@given(recurrence=recurrences(), zone_name=ZONES)
def test_each_local_day_has_the_expected_count(recurrence: Recurrence, zone_name: str) -> None:
    zone = ZoneInfo(zone_name)
    since, until = day_window(recurrence.start, zone, days=21)
    per_day = Counter(
        instant.astimezone(zone).date() for instant in occurrences(recurrence, zone, since, until)
    )
    for offset in range(21):
        day = recurrence.start + dt.timedelta(days=offset)
        length = start_of_day(day + dt.timedelta(days=1), zone) - start_of_day(day, zone)
        if recurrence.frequency == EVERY_N_HOURS or length != dt.timedelta(hours=24):
            continue  # elapsed hours, and transition days, are covered by the cases above
        expected = len(recurrence.times) if recurrence.falls_on(day) else 0
        assert per_day[day] == expected, day
