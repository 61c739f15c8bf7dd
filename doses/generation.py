"""Materialise scheduled doses for a rolling window (DESIGN.md §A "Jobs").

Idempotent: the unique key (schedule_id, scheduled_for) and ``ON CONFLICT DO
NOTHING`` make a second run create nothing, and each schedule's
``generated_until`` lets the next run skip what is already there. Runs in
system context, a chunk of schedules per transaction; the database expands
each chunk's schedules itself in one ``INSERT … SELECT`` (by the rules of
``medications.recurrence``, which the tests compare it with), so millions of
doses never pass through Python.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Q

from doses.models import Dose, DoseStatus
from medications.models import MedicationSchedule, Status
from medications.recurrence import local_instant_sql
from medtrack.rls import system_context

CHUNK = 4000


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
        with system_context("generate_doses"), connection.cursor() as cursor:
            # Locked and filtered again: a medication paused since the ids were read
            # is skipped; one being changed right now is waited for.
            cursor.execute(LOCK, [ids[start : start + CHUNK]])
            chunk = [row[0] for row in cursor.fetchall()]
            cursor.execute(INSERT, {"ids": chunk, "since": since, "until": until})
            created += cursor.rowcount
            MedicationSchedule.objects.filter(pk__in=chunk).update(generated_until=until)
    return created


#: The chunk's schedules, locked with their medications, in key order.
LOCK = """
SELECT s.id FROM medication_schedules s JOIN medications m ON m.id = s.medication_id
WHERE s.id = ANY(%s) AND m.status = 'active' AND NOT m.is_prn
ORDER BY s.id FOR UPDATE OF s, m
"""


_CLOCK_JOINS, _CLOCK_AT = local_instant_sql("w.local", "w.zone", "clock")
_FIRST_JOINS, _FIRST_AT = local_instant_sql("s.first_day + s.times_of_day[1]", "s.zone", "first")
_STOP_JOINS, _STOP_AT = local_instant_sql("(s.last_day + 1)::timestamp", "s.zone", "stop")

#: The chunk's doses in ``[since, until)``, made by the database from each
#: schedule's rule (``medications.recurrence.occurrences``, which the tests hold
#: it to): clock-time schedules day by day and time by time on the patient's
#: clock, every-N-hours ones in elapsed hours from the first dose. Ids are
#: time-ordered (UUIDv7's layout: the key index is appended to, not written all
#: over). Two times that meet on one instant give one dose (the unique key).
INSERT = f"""
WITH schedule AS (
    SELECT s.id, s.patient_id, s.medication_id, s.frequency, s.times_of_day,
           s.days_of_week, coalesce(s.interval, 1) AS every,
           coalesce(s.dose_amount, m.dose_amount) AS amount, p.timezone AS zone,
           greatest(s.start_date, m.start_date) AS first_day,
           least(s.end_date, m.end_date) AS last_day,
           greatest(%(since)s::timestamptz, coalesce(s.generated_until, %(since)s)) AS since
    FROM medication_schedules s
    JOIN medications m ON m.id = s.medication_id
    JOIN patients p ON p.id = s.patient_id
    WHERE s.id = ANY(%(ids)s)
    ORDER BY s.id  -- doses go in in key order: the indexes are appended to
), wall AS (  -- clock-time schedules: each day the rule falls on, at each time
    SELECT s.id, day::date + time AS local, s.zone
    FROM schedule s
    CROSS JOIN LATERAL generate_series(
        greatest(s.first_day, (s.since AT TIME ZONE s.zone)::date - 1),
        least(s.last_day, (%(until)s::timestamptz AT TIME ZONE s.zone)::date + 1),
        interval '1 day'
    ) AS day
    CROSS JOIN LATERAL unnest(s.times_of_day) AS time
    WHERE s.frequency <> 'every_n_hours'
      AND (s.frequency <> 'weekly' OR extract(isodow FROM day)::int = ANY(s.days_of_week))
      AND (s.frequency <> 'every_n_days' OR (day::date - s.first_day) %% s.every = 0)
), clock AS (
    SELECT w.id, {_CLOCK_AT} AS instant FROM wall w {_CLOCK_JOINS}
), elapsed_start AS (  -- every N hours: the first dose, the step, the end
    SELECT s.id, s.since, make_interval(hours => s.every) AS step, {_FIRST_AT} AS first,
           CASE WHEN s.last_day IS NULL THEN %(until)s::timestamptz
                ELSE least(%(until)s::timestamptz, {_STOP_AT}) END AS stop
    FROM schedule s {_FIRST_JOINS} {_STOP_JOINS}
    WHERE s.frequency = 'every_n_hours'
), elapsed AS (
    SELECT x.id, instant
    FROM elapsed_start x
    CROSS JOIN LATERAL generate_series(
        x.first + x.step * greatest(
            0, floor(extract(epoch FROM x.since - x.first) / extract(epoch FROM x.step))
        ),
        x.stop - interval '1 microsecond',
        x.step
    ) AS instant
), occurrence AS (
    SELECT id, instant FROM clock UNION ALL SELECT id, instant FROM elapsed
), stamp AS MATERIALIZED (  -- the statement's millisecond and a random tail, once
    SELECT lpad(to_hex((extract(epoch FROM statement_timestamp()) * 1000)::bigint), 12, '0')
               AS millis,
           lpad(to_hex((random() * 4294967295)::bigint), 8, '0') AS tail
), dose AS (
    SELECT s.patient_id, s.medication_id, s.id AS schedule_id, o.instant, s.amount,
           row_number() OVER () AS counter
    FROM occurrence o JOIN schedule s ON s.id = o.id
    WHERE o.instant >= s.since AND o.instant < %(until)s
      AND (s.last_day IS NULL OR s.last_day >= s.first_day)
)
INSERT INTO doses (id, patient_id, medication_id, schedule_id, scheduled_for, amount, status)
SELECT (stamp.millis || '7' || lpad(to_hex((counter >> 30) & 4095), 3, '0')
        || to_hex(2147483648 + (counter & 1073741823)) || stamp.tail)::uuid,
       patient_id, medication_id, schedule_id, instant, amount, 'pending'
FROM dose CROSS JOIN stamp
ON CONFLICT (schedule_id, scheduled_for) DO NOTHING
"""  # noqa: S608 - the fragments are constants; values go as parameters


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
