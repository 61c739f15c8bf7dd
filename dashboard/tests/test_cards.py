"""The dashboard's cards statement (``dashboard.selectors.CARDS``): a patient's
today runs from their own midnight to the next, by ``medications.recurrence``'s
rules, on every day of two years in zones whose clocks change at midnight."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from dashboard.selectors import _END, _END_JOINS, _START, _START_JOINS
from medications.recurrence import start_of_day

pytestmark = pytest.mark.django_db

#: Havana and Santiago change their clocks at midnight (the day starts at 01:00,
#: or 00:00 comes twice), Lord Howe by half an hour, Madrid at 02:00; Kolkata never.
ZONES = [
    "America/Havana",
    "America/Santiago",
    "Australia/Lord_Howe",
    "Europe/Madrid",
    "Asia/Kolkata",
]
SQL_DAY = f"""
SELECT {_START}, {_END}
FROM unnest(%s::text[], %s::timestamptz[]) AS p(timezone, now)
CROSS JOIN LATERAL (SELECT date_trunc('day', p.now AT TIME ZONE p.timezone) AS midnight) local
{_START_JOINS}
{_END_JOINS}
"""


def test_every_day_starts_at_the_patients_own_midnight() -> None:
    zones, nows, expected = [], [], []
    for name in ZONES:
        zone = ZoneInfo(name)
        for number in range(2 * 366):
            day = dt.date(2026, 1, 1) + dt.timedelta(days=number)
            for hour in (0, 12, 23):  # early, midday and late on the patient's clock
                now = start_of_day(day, zone) + dt.timedelta(hours=hour, minutes=30)
                local_day = now.astimezone(zone).date()
                zones.append(name)
                nows.append(now)
                expected.append(
                    (
                        start_of_day(local_day, zone),
                        start_of_day(local_day + dt.timedelta(days=1), zone),
                    )
                )
    with connection.cursor() as cursor:
        cursor.execute(SQL_DAY, [zones, nows])
        found = cursor.fetchall()
    wrong = [
        (z, n, e, f)
        for z, n, e, f in zip(zones, nows, expected, found, strict=True)
        if tuple(f) != e
    ]
    assert not wrong, wrong[:5]
    assert len(found) == len(ZONES) * 2 * 366 * 3


def test_low_stock_on_the_cards_is_needing_refills_rule(primary, patient) -> None:
    """The cards' SQL and ``doses.selectors.needing_refill`` pick the same
    medications: at the level (in), above it, without a level, paused (out)."""
    from conftest import add_medication
    from dashboard.selectors import dashboard
    from doses.selectors import needing_refill
    from medtrack.rls import acting_as

    add_medication(primary, patient, "At the level", quantity_on_hand=5, refill_threshold=5)
    add_medication(primary, patient, "Below it", quantity_on_hand=1, refill_threshold=5)
    add_medication(primary, patient, "Above it", quantity_on_hand=6, refill_threshold=5)
    add_medication(primary, patient, "No level", quantity_on_hand=1)
    add_medication(
        primary, patient, "Paused", quantity_on_hand=1, refill_threshold=5, status="paused"
    )
    with acting_as(primary.pk):
        board = dashboard(primary, timezone.now())
        rule = [m.name for m in needing_refill([patient.pk])]
    (card,) = board.cards
    assert [m.name for m in card.low_stock] == rule == ["At the level", "Below it"]
