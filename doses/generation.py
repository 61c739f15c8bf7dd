"""Materialise scheduled doses for a rolling window (DESIGN.md §A "Jobs").

Idempotent: the unique key (schedule_id, scheduled_for) and ``ON CONFLICT DO
NOTHING`` make a second run create nothing, and each schedule's
``generated_until`` lets the next run skip what is already there. Runs in
system context, a chunk of schedules per transaction, and streams rows with
COPY into a temporary table, so millions of doses take seconds, not minutes.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
import uuid
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Q

from doses.models import Dose, DoseStatus
from medications.models import MedicationSchedule, Status
from medications.recurrence import Recurrence, occurrences
from medtrack.rls import system_context

CHUNK = 4000
Row = tuple[uuid.UUID, uuid.UUID, uuid.UUID, dt.datetime, Decimal]


def window_end(now: dt.datetime, days: int | None = None) -> dt.datetime:
    return now + dt.timedelta(days=settings.DOSE_WINDOW_DAYS if days is None else days)


def doses_generate(
    *,
    now: dt.datetime,
    days: int | None = None,
    since: dt.datetime | None = None,
    schedule_ids: Iterable[uuid.UUID] | None = None,
    patient_ids: Iterable[uuid.UUID] | None = None,
) -> int:
    """Create the pending doses due in ``[since or now, now + days)``; return how many."""
    since = since or now
    until = window_end(now, days)
    schedules = (
        MedicationSchedule.objects.filter(
            medication__status=Status.ACTIVE, medication__is_prn=False
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=(since - dt.timedelta(days=1)).date()))
        .filter(Q(generated_until__isnull=True) | Q(generated_until__lt=until))
    )
    if schedule_ids is not None:
        schedules = schedules.filter(pk__in=list(schedule_ids))
    if patient_ids is not None:
        schedules = schedules.filter(patient_id__in=list(patient_ids))
    with system_context("generate_doses"):
        ids = list(schedules.order_by("pk").values_list("pk", flat=True))
    created = 0
    for start in range(0, len(ids), CHUNK):
        with system_context("generate_doses"):
            chunk = list(
                # Locked and filtered again: a medication paused since the ids were
                # read is skipped; one being changed right now is waited for.
                MedicationSchedule.objects.filter(
                    pk__in=ids[start : start + CHUNK],
                    medication__status=Status.ACTIVE,
                    medication__is_prn=False,
                )
                .select_for_update(of=("self", "medication"))
                .order_by(
                    "pk"
                )  # rows in unique-key order: the index is appended to, not scattered
                .select_related("medication", "patient")
                .only(
                    "frequency",
                    "times_of_day",
                    "days_of_week",
                    "interval",
                    "dose_amount",
                    "start_date",
                    "end_date",
                    "generated_until",
                    "patient__timezone",
                    "medication__dose_amount",
                    "medication__start_date",
                    "medication__end_date",
                )
            )
            # Rows are computed before COPY starts: the connection is busy during it.
            created += _insert(list(_rows(chunk, since, until)))
            MedicationSchedule.objects.filter(pk__in=[s.pk for s in chunk]).update(
                generated_until=until
            )
    return created


def _rows(
    schedules: Iterable[MedicationSchedule], since: dt.datetime, until: dt.datetime
) -> Iterator[Row]:
    for schedule in schedules:
        medication = schedule.medication
        zone = schedule.patient.zone
        ends = [d for d in (schedule.end_date, medication.end_date) if d is not None]
        recurrence = Recurrence(
            frequency=schedule.frequency,
            times=tuple(schedule.times_of_day),
            start=max(schedule.start_date, medication.start_date),
            end=min(ends) if ends else None,
            weekdays=frozenset(schedule.days_of_week or ()),
            interval=schedule.interval or 1,
        )
        if recurrence.end is not None and recurrence.end < recurrence.start:
            continue
        amount = schedule.dose_amount or medication.dose_amount
        start = max(since, schedule.generated_until) if schedule.generated_until else since
        for instant in occurrences(recurrence, zone, start, until):
            yield (schedule.patient_id, schedule.medication_id, schedule.pk, instant, amount)


def _time_ordered_ids(count: int) -> Iterator[uuid.UUID]:
    """UUIDv7-style ids (RFC 9562): a millisecond clock, then a counter and random bits.

    New doses get ids in increasing order, so the primary-key index is appended
    to instead of written all over, which keeps millions of inserts fast.
    """
    millis = time.time_ns() // 1_000_000
    tail = secrets.randbits(30)
    for counter in range(count):
        value = (millis & 0xFFFF_FFFF_FFFF) << 80
        value |= 0x7 << 76  # version 7
        value |= ((counter >> 30) & 0xFFF) << 64
        value |= 0b10 << 62  # RFC 4122 variant
        value |= (counter & 0x3FFF_FFFF) << 32
        value |= tail
        yield uuid.UUID(int=value)


def _insert(rows: list[Row]) -> int:
    if not rows:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS dose_batch (id uuid, patient_id uuid, "
            "medication_id uuid, schedule_id uuid, scheduled_for timestamptz, amount numeric) "
            "ON COMMIT DELETE ROWS"
        )
        cursor.execute("TRUNCATE dose_batch")
        columns = "id, patient_id, medication_id, schedule_id, scheduled_for, amount"
        with cursor.cursor.copy(f"COPY dose_batch ({columns}) FROM STDIN") as copy:
            for dose_id, row in zip(_time_ordered_ids(len(rows)), rows, strict=True):
                copy.write_row((dose_id, *row))
        cursor.execute(
            f"INSERT INTO doses ({columns}, status) "  # noqa: S608 - constant column names
            f"SELECT {columns}, 'pending' FROM dose_batch "
            "ON CONFLICT (schedule_id, scheduled_for) DO NOTHING"
        )
        return cursor.rowcount


def _scoped(
    queryset: Any,
    *,
    schedule_field: str,
    schedule_ids: Iterable[uuid.UUID] | None,
    medication_ids: Iterable[uuid.UUID] | None,
    patient_ids: Iterable[uuid.UUID] | None,
) -> Any:
    for field, ids in (
        (schedule_field, schedule_ids),
        ("medication_id", medication_ids),
        ("patient_id", patient_ids),
    ):
        if ids is not None:
            queryset = queryset.filter(**{f"{field}__in": list(ids)})
    return queryset


def doses_withdraw_future(
    *,
    now: dt.datetime,
    schedule_ids: Iterable[uuid.UUID] | None = None,
    medication_ids: Iterable[uuid.UUID] | None = None,
    patient_ids: Iterable[uuid.UUID] | None = None,
) -> int:
    """Delete pending doses due after ``now`` (history of what happened stays)."""
    scope = {
        "schedule_ids": schedule_ids,
        "medication_ids": medication_ids,
        "patient_ids": patient_ids,
    }
    doses = Dose.objects.filter(status=DoseStatus.PENDING, scheduled_for__gt=now)
    schedules = MedicationSchedule.objects.filter(generated_until__gt=now)
    with system_context("withdraw_future_doses"):
        deleted, _ = _scoped(doses, schedule_field="schedule_id", **scope).delete()
        # What follows ``now`` must be generated again.
        _scoped(schedules, schedule_field="pk", **scope).update(generated_until=now)
    return deleted


def doses_regenerate(
    *,
    now: dt.datetime,
    schedule_ids: Iterable[uuid.UUID] | None = None,
    medication_ids: Iterable[uuid.UUID] | None = None,
    patient_ids: Iterable[uuid.UUID] | None = None,
) -> int:
    """Replace future pending doses after a schedule, medication or time zone changed."""
    schedule_ids = list(schedule_ids) if schedule_ids is not None else None
    medication_ids = list(medication_ids) if medication_ids is not None else None
    patient_ids = list(patient_ids) if patient_ids is not None else None
    doses_withdraw_future(
        now=now, schedule_ids=schedule_ids, medication_ids=medication_ids, patient_ids=patient_ids
    )
    if medication_ids is not None:
        with system_context("regenerate_doses"):
            schedule_ids = [
                *(schedule_ids or []),
                *MedicationSchedule.objects.filter(medication_id__in=medication_ids).values_list(
                    "pk", flat=True
                ),
            ]
    return doses_generate(now=now, schedule_ids=schedule_ids, patient_ids=patient_ids)
