"""A patient's medicines: the medication, its schedules and every dose they gave."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal

from django.conf import settings

from bench.data import catalog as c
from bench.data.people import (
    MEDICATION_ID,
    ONE_DAY,
    Family,
    PatientInfo,
    local_time,
    notify,
    writer_of,
)
from bench.data.rows import Batch, Ids
from medications.recurrence import Recurrence, occurrences, start_of_day


def add_medicine(
    rng: random.Random,
    batch: Batch,
    ids: Ids,
    family: Family,
    patient: PatientInfo,
    medicine: c.Medicine,
    now: dt.datetime,
) -> list[tuple[uuid.UUID, str, dt.datetime]]:
    """The medication, its schedules and doses; the missed doses (for notifications)."""
    first, today = patient.first_day, patient.today
    span = (today - first).days
    status, end, changed_on, reason = "active", None, None, ""
    schedules: list[
        tuple[
            str,
            tuple[dt.time, ...],
            tuple[int, ...],
            int | None,
            Decimal | None,
            dt.date,
            dt.date | None,
        ]
    ] = []
    if medicine.chronic:
        late_start = rng.random() < 0.45 and span > 2
        begin = (
            first + dt.timedelta(days=rng.randrange(span))
            if late_start
            else first - dt.timedelta(days=rng.randrange(1, 700))
        )
        roll = rng.random()
        if roll < 0.12 and (today - max(begin, first)).days > 2:
            status, reason = "discontinued", "Stopped by the doctor"
            end = max(begin, first) + dt.timedelta(
                days=rng.randrange(1, (today - max(begin, first)).days)
            )
            changed_on = end
        elif roll < 0.15 and (today - max(begin, first)).days > 2:
            status, reason = "paused", "In hospital"
            changed_on = today - dt.timedelta(
                days=rng.randrange(1, min(60, (today - max(begin, first)).days))
            )
    else:
        begin = first + dt.timedelta(days=rng.randrange(max(1, span - 5)))
    amount = medicine.amount
    if medicine.shape == c.TAPER:
        steps = [Decimal(n) for n in (4, 3, 2, 1)]
        length = rng.choice([3, 5, 7])
        for number, step in enumerate(steps):
            day = begin + dt.timedelta(days=number * length)
            schedules.append(
                (c.DAILY, (dt.time(8),), (), None, step, day, day + dt.timedelta(days=length - 1))
            )
        end = begin + dt.timedelta(days=len(steps) * length - 1)
    elif medicine.shape == c.COURSE:
        end = begin + dt.timedelta(days=rng.choice([5, 7, 10]) - 1)
        schedules.append(
            (c.EVERY_N_HOURS, (dt.time(8),), (), medicine.choices[0], None, begin, end)
        )
    elif medicine.shape == c.DAILY:
        times = rng.choice(c.TIMES_A_DAY[rng.choice(medicine.choices)])
        if status == "active" and rng.random() < 0.15 and (today - max(begin, first)).days > 60:
            change = max(begin, first) + dt.timedelta(
                days=rng.randrange(30, (today - max(begin, first)).days - 10)
            )
            schedules.append((c.DAILY, times, (), None, None, begin, change - ONE_DAY))
            times = rng.choice(c.TIMES_A_DAY[min(4, len(times) + 1)])
            begin_second = change
        else:
            begin_second = begin
        schedules.append((c.DAILY, times, (), None, None, begin_second, None))
    elif medicine.shape == c.WEEKLY:
        schedules.append(
            (
                c.WEEKLY,
                rng.choice(c.TIMES_A_DAY[1]),
                rng.choice(c.WEEKDAYS),
                None,
                None,
                begin,
                None,
            )
        )
    elif medicine.shape == c.EVERY_N_DAYS:
        schedules.append(
            (
                c.EVERY_N_DAYS,
                rng.choice(c.TIMES_A_DAY[1]),
                (),
                rng.choice(medicine.choices),
                None,
                begin,
                None,
            )
        )
    elif medicine.shape == c.EVERY_N_HOURS:
        schedules.append(
            (
                c.EVERY_N_HOURS,
                (rng.choice([dt.time(6), dt.time(8)]),),
                (),
                rng.choice(medicine.choices),
                None,
                begin,
                None,
            )
        )
    if end is not None and end < today and status == "active":
        status, changed_on, reason = "discontinued", end, "Course finished"
    stock = threshold = None
    if medicine.chronic and medicine.shape != c.PRN and rng.random() < 0.4:
        threshold = Decimal(10)
        stock = Decimal(rng.randrange(0, 90))
    medication_id = ids()
    created = start_of_day(max(begin, first), patient.zone) + dt.timedelta(hours=10)
    updated = (
        created
        if changed_on is None
        else start_of_day(changed_on, patient.zone) + dt.timedelta(hours=10)
    )
    author = writer_of(rng, family)
    prn = medicine.shape == c.PRN
    batch.add(
        "medications",
        medication_id,
        patient.id,
        medicine.name,
        medicine.generic,
        medicine.strength,
        medicine.form,
        amount,
        medicine.unit,
        medicine.route,
        medicine.instructions,
        medicine.reason,
        rng.choice(["Dr. Patel", "Dr. Weber", "Dr. Kim"]),
        rng.choice(["Main Street Pharmacy", "Late-night chemist", ""]),
        f"RX{rng.randrange(10**6, 10**7)}",
        "",
        "",
        prn,
        rng.choice(medicine.choices) if prn else None,
        Decimal(rng.choice([4, 6])) if prn else None,
        begin,
        end,
        status,
        changed_on,
        reason,
        stock,
        threshold,
        author,
        created,
        updated,
    )
    if stock is not None and threshold is not None and stock <= threshold and status == "active":
        _notify_refill(
            rng, batch, ids, family, patient, medicine, medication_id, stock, updated, now
        )
    if prn:
        _add_prn_doses(
            rng, batch, ids, family, patient, medication_id, medicine, begin, end, changed_on, now
        )
        return []
    missed: list[tuple[uuid.UUID, str, dt.datetime]] = []
    window = now + dt.timedelta(days=settings.DOSE_WINDOW_DAYS)
    since = start_of_day(first, patient.zone)
    for frequency, times, weekdays, interval, dose_amount, from_day, to_day in schedules:
        schedule_id = ids()
        last = min(d for d in (to_day, end, today + dt.timedelta(days=400)) if d is not None)
        until = window
        if status == "paused" and changed_on is not None:
            until = min(window, start_of_day(changed_on, patient.zone))
        active = status == "active"
        batch.add(
            "medication_schedules",
            schedule_id,
            patient.id,
            medication_id,
            frequency,
            list(times),
            list(weekdays),
            interval,
            dose_amount,
            from_day,
            to_day,
            window if active else None,
            created,
            created,
        )
        recurrence = Recurrence(
            frequency=frequency,
            times=times,
            start=max(from_day, begin),
            end=last if (to_day or end) else None,
            weekdays=frozenset(weekdays),
            interval=interval or 1,
        )
        instants = occurrences(recurrence, patient.zone, since, until)
        missed += _add_doses(
            rng,
            batch,
            ids,
            family,
            patient,
            medication_id,
            schedule_id,
            dose_amount or amount,
            instants,
            now,
            medicine.name,
        )
    return missed


def _add_doses(
    rng: random.Random,
    batch: Batch,
    ids: Ids,
    family: Family,
    patient: PatientInfo,
    medication_id: uuid.UUID,
    schedule_id: uuid.UUID,
    amount: Decimal,
    instants: list[dt.datetime],
    now: dt.datetime,
    medicine: str,
) -> list[tuple[uuid.UUID, str, dt.datetime]]:
    random_ = rng.random
    adherence = patient.adherence
    skipped_below = adherence + (1 - adherence) * 0.3
    missed_line = now - dt.timedelta(hours=settings.DOSE_MISSED_HOURS)
    ahead = dt.timedelta(days=settings.DOSE_WINDOW_DAYS)
    floor = start_of_day(patient.first_day, patient.zone)
    four_hours = dt.timedelta(hours=4)
    writers = [m.user_id for m in family.members if m.role != "viewer"]
    primary = writers[0]
    add = batch.rows["doses"].append
    missed = []
    for at in instants:
        dose_id = ids()
        created = at - ahead
        if created < floor:
            created = floor
        if at >= now:
            add(
                (
                    dose_id,
                    patient.id,
                    medication_id,
                    schedule_id,
                    at,
                    "pending",
                    None,
                    amount,
                    None,
                    "",
                    "",
                    created,
                    created,
                )
            )
            continue
        roll = random_()
        if roll < adherence:
            late = random_()
            if late < 0.7:
                minutes = -15 + 35 * random_()
            elif late < 0.93:
                minutes = 20 + 40 * random_()
            else:
                minutes = 60 + 180 * random_()
            taken = at + dt.timedelta(minutes=minutes)
            if taken <= now:
                who = primary if len(writers) == 1 or random_() < 0.7 else writers[-1]
                note = c.DOSE_NOTES[int(random_() * 4)] if random_() < 0.01 else ""
                add(
                    (
                        dose_id,
                        patient.id,
                        medication_id,
                        schedule_id,
                        at,
                        "taken",
                        taken,
                        amount,
                        who,
                        "",
                        note,
                        created,
                        taken,
                    )
                )
                continue
        elif roll < skipped_below:
            who = primary if len(writers) == 1 or random_() < 0.7 else writers[-1]
            reason = c.SKIP_REASONS[int(random_() * len(c.SKIP_REASONS))]
            add(
                (
                    dose_id,
                    patient.id,
                    medication_id,
                    schedule_id,
                    at,
                    "skipped",
                    None,
                    amount,
                    who,
                    reason,
                    "",
                    created,
                    at,
                )
            )
            continue
        if at < missed_line:
            add(
                (
                    dose_id,
                    patient.id,
                    medication_id,
                    schedule_id,
                    at,
                    "missed",
                    None,
                    amount,
                    None,
                    "",
                    "",
                    created,
                    at + four_hours,
                )
            )
            missed.append((dose_id, medicine, at))
        else:  # due in the last hours, not recorded yet: the sweep's work
            add(
                (
                    dose_id,
                    patient.id,
                    medication_id,
                    schedule_id,
                    at,
                    "pending",
                    None,
                    amount,
                    None,
                    "",
                    "",
                    created,
                    created,
                )
            )
    return missed


def _add_prn_doses(
    rng: random.Random,
    batch: Batch,
    ids: Ids,
    family: Family,
    patient: PatientInfo,
    medication_id: uuid.UUID,
    medicine: c.Medicine,
    begin: dt.date,
    end: dt.date | None,
    changed_on: dt.date | None,
    now: dt.datetime,
) -> None:
    """As-needed doses: on some days, a few (never more than the daily maximum)."""
    rate = rng.uniform(0.05, 0.6)
    most = max(medicine.choices)
    day = max(begin, patient.first_day)
    last = min(d for d in (end, changed_on, patient.today) if d is not None)
    while day <= last:
        given = 0
        while given < most and rng.random() < rate:
            given += 1
        hours = sorted(rng.uniform(7, 22) for _ in range(given))
        for hour in hours:
            taken = local_time(day, hour, patient.zone)
            if taken > now:
                break
            batch.rows["doses"].append(
                (
                    ids(),
                    patient.id,
                    medication_id,
                    None,
                    None,
                    "taken",
                    taken,
                    medicine.amount,
                    writer_of(rng, family),
                    "",
                    "",
                    taken,
                    taken,
                )
            )
        day += ONE_DAY


def notify_missed(
    rng: random.Random,
    batch: Batch,
    ids: Ids,
    family: Family,
    patient: PatientInfo,
    now: dt.datetime,
    missed: list[tuple[uuid.UUID, str, dt.datetime]],
) -> None:
    after = dt.timedelta(hours=settings.DOSE_MISSED_HOURS)
    for dose_id, medicine, at in missed:
        local = at.astimezone(patient.zone)
        notify(
            rng,
            batch,
            ids,
            family,
            patient,
            now,
            "dose_missed",
            f"{medicine} was not given to {patient.name}",
            f"The {local:%H:%M} dose on {local:%a} {local.day} {local:%b} was not recorded.",
            patient.urls["doses"],
            {"dose_id": str(dose_id), "at": at.isoformat()},
            f"dose_missed:{dose_id}",
            at + after,
        )


def _notify_refill(
    rng: random.Random,
    batch: Batch,
    ids: Ids,
    family: Family,
    patient: PatientInfo,
    medicine: c.Medicine,
    medication_id: uuid.UUID,
    stock: Decimal,
    updated: dt.datetime,
    now: dt.datetime,
) -> None:
    if rng.random() < 0.5:
        return  # ran low since the last run: the refill job's work
    notify(
        rng,
        batch,
        ids,
        family,
        patient,
        now,
        "refill_low",
        f"{medicine.name} for {patient.name} is running low",
        f"{stock} left; time to refill.",
        patient.urls["medication"].replace(str(MEDICATION_ID), str(medication_id)),
        {"medication_id": str(medication_id)},
        f"refill_low:{medication_id}:{updated.isoformat()}",
        max(updated, now - ONE_DAY),
    )
