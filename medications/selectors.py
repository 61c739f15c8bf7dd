"""Reads for medication pages: a fixed number of queries whatever the list's length."""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, QuerySet

from doses.models import Dose
from medications.models import Medication, MedicationSchedule, Status
from medications.recurrence import Recurrence, occurrences
from patients.models import Patient


def medications_for(patient: Patient) -> QuerySet[Medication]:
    """All of the patient's medications with their schedules (two queries)."""
    return (
        Medication.objects.filter(patient=patient)
        .prefetch_related(
            Prefetch("schedules", queryset=MedicationSchedule.objects.order_by("start_date"))
        )
        .order_by("name")
    )


def grouped(medications: QuerySet[Medication]) -> dict[str, list[Medication]]:
    groups: dict[str, list[Medication]] = {status: [] for status in Status.values}
    for medication in medications:
        groups[medication.status].append(medication)
    return groups


def upcoming_days(
    medication: Medication, zone: ZoneInfo, now: dt.datetime, days: int = 7
) -> list[tuple[dt.date, list[Dose]]]:
    """The medication's doses for the next ``days``, grouped by the patient's local day."""
    doses = Dose.objects.filter(
        medication=medication,
        scheduled_for__gte=now - dt.timedelta(hours=12),
        scheduled_for__lt=now + dt.timedelta(days=days),
    ).order_by("scheduled_for")
    return [
        (day, list(items))
        for day, items in groupby(doses, key=lambda dose: _local_day(dose, zone))
    ]


def _local_day(dose: Dose, zone: ZoneInfo) -> dt.date:
    assert dose.scheduled_for is not None  # scheduled doses only
    return dose.scheduled_for.astimezone(zone).date()


def preview(
    recurrence_: Recurrence, zone: ZoneInfo, now: dt.datetime, count: int = 10
) -> list[dt.datetime]:
    """The next ``count`` doses a schedule would give, shown before it is saved."""
    found: list[dt.datetime] = []
    since = now
    for _ in range(8):  # up to ~1 year ahead in 45-day steps
        until = since + dt.timedelta(days=45)
        found += occurrences(recurrence_, zone, since, until)
        if len(found) >= count:
            break
        since = until
    return [instant.astimezone(zone) for instant in found[:count]]
