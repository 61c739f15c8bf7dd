"""A patient's readings, journal, appointments and documents."""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from decimal import Decimal

from bench.data import catalog as c
from bench.data.people import (
    APPOINTMENT_ID,
    ONE_DAY,
    Family,
    PatientInfo,
    local_time,
    notify,
    writer_of,
)
from bench.data.rows import Batch, Ids
from medications.recurrence import start_of_day


def add_vitals(
    rng: random.Random,
    batch: Batch,
    ids: Ids,
    family: Family,
    patient: PatientInfo,
    now: dt.datetime,
) -> list[uuid.UUID]:
    tracked: list[str] = []
    count = rng.choices([1, 2, 3, 4], [35, 35, 20, 10])[0]
    names, weights = list(c.VITAL_WEIGHTS), list(c.VITAL_WEIGHTS.values())
    while len(tracked) < count:
        name = rng.choices(names, weights)[0]
        if name not in tracked:
            tracked.append(name)
    limits: dict[str, tuple[int | None, int | None, int | None, int | None]] = {}
    for name in tracked:
        if name in c.THRESHOLDS and rng.random() < 0.7:
            limits[name] = c.THRESHOLDS[name]
            batch.add(
                "measurement_thresholds",
                ids(),
                patient.id,
                name,
                *limits[name],
                family.user_id,
                now,
                now,
            )
    ids_: list[uuid.UUID] = []
    flagged: list[tuple[uuid.UUID, str, str, dt.datetime]] = []
    add = batch.rows["measurements"].append
    random_, gauss = rng.random, rng.gauss
    for name in tracked:
        vital = c.VITALS[name]
        level = vital.typical + gauss(0, vital.spread)
        low, high, low2, high2 = limits.get(name, (None, None, None, None))
        day = patient.first_day
        while day <= patient.today:
            level += gauss(0, vital.spread * 0.1) - (level - vital.typical) * 0.05
            if random_() < vital.days:
                readings = rng.randint(*vital.per_day)
                for number in range(readings):
                    at = local_time(day, 7 + 14 * (number + random_()) / readings, patient.zone)
                    if at > now:
                        break
                    value = min(vital.high, max(vital.low, level + gauss(0, vital.spread * 0.5)))
                    value = round(value, vital.places)
                    secondary = None
                    if name == "blood_pressure":
                        secondary = min(value - 20, max(40, round(value * 0.6 + gauss(0, 5))))
                    outside = (
                        (low is not None and value < low)
                        or (high is not None and value > high)
                        or (
                            secondary is not None
                            and (
                                (low2 is not None and secondary < low2)
                                or (high2 is not None and secondary > high2)
                            )
                        )
                    )
                    reading_id = ids()
                    context = (
                        vital.contexts[number % len(vital.contexts)] if vital.contexts else ""
                    )
                    device = name in ("blood_pressure", "blood_glucose") and random_() < 0.3
                    add(
                        (
                            reading_id,
                            patient.id,
                            name,
                            Decimal(str(value)),
                            None if secondary is None else Decimal(secondary),
                            vital.unit,
                            at,
                            context,
                            "device" if device else "manual",
                            None if device else writer_of(rng, family),
                            outside,
                            at,
                            at,
                        )
                    )
                    ids_.append(reading_id)
                    if outside:
                        text = f"{value:g}" if secondary is None else f"{value:g}/{secondary:g}"
                        flagged.append((reading_id, name, text, at))
            day += ONE_DAY
    for reading_id, name, text, at in flagged:
        local = at.astimezone(patient.zone)
        notify(
            rng,
            batch,
            ids,
            family,
            patient,
            now,
            "measurement_out_of_range",
            f"{patient.name}: {name.replace('_', ' ')} outside the target",
            f"{text} at {local:%H:%M} on {local:%a} {local.day} {local:%b}.",
            f"/patients/{patient.id}/measurements/{name}/",
            {"measurement_id": str(reading_id), "at": at.isoformat()},
            f"measurement_out_of_range:{reading_id}",
            at,
        )
    return ids_


def add_journal(
    rng: random.Random,
    batch: Batch,
    ids: Ids,
    family: Family,
    patient: PatientInfo,
    now: dt.datetime,
) -> list[uuid.UUID]:
    found = []
    writers = [m.user_id for m in family.members if m.role != "viewer"]
    mood = 3.5
    day = patient.first_day
    while day <= patient.today:
        mood = min(5, max(1, mood + rng.gauss(0, 0.5)))
        for number, writer in enumerate(writers):
            if rng.random() >= (0.35 if number == 0 else 0.08):
                continue
            at = local_time(day, 20 + rng.random() * 2, patient.zone)
            if at > now:
                continue
            log_id = ids()
            found.append(log_id)
            batch.add(
                "daily_logs",
                log_id,
                patient.id,
                day,
                round(mood),
                rng.randint(1, 5),
                rng.randint(2, 5),
                rng.randint(1, 5),
                Decimal(str(round(rng.uniform(4, 9.5), 1))),
                rng.choice([None, 0, 1, 2, 3, 4, 6]),
                rng.sample(c.SYMPTOMS, rng.choice([0, 0, 1, 2])),
                rng.sample(c.ACTIVITIES, rng.choice([0, 1, 1, 2])),
                rng.choice(c.LOG_NOTES),
                writer,
                at,
                at,
            )
        day += ONE_DAY
    return found


def add_appointments(
    rng: random.Random,
    batch: Batch,
    ids: Ids,
    family: Family,
    patient: PatientInfo,
    now: dt.datetime,
) -> None:
    floor = start_of_day(patient.first_day, patient.zone)
    day = patient.first_day + dt.timedelta(days=rng.randrange(1, 20))
    horizon = patient.today + dt.timedelta(days=90)
    while day <= horizon:
        if day.isoweekday() > 5:
            day += dt.timedelta(days=8 - day.isoweekday())
        kind, title, provider, location = rng.choices(c.APPOINTMENTS, c.APPOINTMENT_WEIGHTS)[0]
        starts = local_time(day, rng.choice([9, 9.5, 10, 11, 11.5, 14, 15, 16]), patient.zone)
        ends = starts + dt.timedelta(minutes=rng.choice([20, 30, 45, 60]))
        if starts > now:
            status, outcome = "scheduled", ""
        else:
            status = rng.choices(["completed", "cancelled", "missed"], [85, 10, 5])[0]
            outcome = rng.choice(c.OUTCOMES) if status == "completed" else ""
        reminders = rng.choices([[1440, 60], [2880, 180], [60]], [80, 10, 10])[0]
        created = max(floor, starts - dt.timedelta(days=rng.randrange(5, 40)))
        escort = rng.choice([None, *(m.user_id for m in family.members if m.role != "viewer")])
        appointment_id = ids()
        batch.add(
            "appointments",
            appointment_id,
            patient.id,
            title,
            kind,
            provider,
            location,
            starts,
            ends,
            status,
            reminders,
            escort,
            "",
            outcome,
            writer_of(rng, family),
            created,
            created,
        )
        url = patient.urls["appointment"].replace(str(APPOINTMENT_ID), str(appointment_id))
        local = starts.astimezone(patient.zone)
        for minutes in reminders:
            due = starts - dt.timedelta(minutes=minutes)
            if due > now or due < created:
                continue
            place = f", {location}" if location else ""
            notify(
                rng,
                batch,
                ids,
                family,
                patient,
                now,
                "appointment_upcoming",
                f"{patient.name}: {title}",
                f"{local:%a} {local.day} {local:%b} at {local:%H:%M}{place}.",
                url,
                {
                    "appointment_id": str(appointment_id),
                    "minutes": minutes,
                    "at": starts.isoformat(),
                },
                f"appointment_upcoming:{appointment_id}:{minutes}:{starts:%Y%m%dT%H%M}",
                due,
            )
        day += dt.timedelta(days=max(3, int(rng.expovariate(1 / 28))))


def add_files(
    rng: random.Random,
    batch: Batch,
    ids: Ids,
    family: Family,
    patient: PatientInfo,
    now: dt.datetime,
    readings: list[uuid.UUID],
    logs: list[uuid.UUID],
) -> None:
    """File rows only: no stored object behind them (downloads of these would 404)."""
    floor = start_of_day(patient.first_day, patient.zone)
    span = (now - floor).total_seconds()
    for _n in range(max(1, int(span / 86400 / 45))):
        name, mime, extension = rng.choice(c.FILES)
        file_id = ids()
        uploaded = floor + dt.timedelta(seconds=rng.uniform(0, span))
        measurement = log = None
        attach = rng.random()
        if attach < 0.08 and readings:
            measurement = rng.choice(readings)
        elif attach < 0.16 and logs:
            log = rng.choice(logs)
        size = (
            rng.randrange(20_000, 2_000_000) if mime != "text/plain" else rng.randrange(200, 8000)
        )
        metadata = {"sha256": f"{rng.getrandbits(256):064x}", "bench": True}
        if mime == "application/pdf":
            metadata["pages"] = rng.randint(1, 6)
        batch.add(
            "files",
            file_id,
            patient.id,
            measurement,
            log,
            name,
            name + extension,
            f"{file_id}{extension}",
            mime,
            size,
            f"patients/{patient.id}/{file_id}{extension}",
            json.dumps(metadata),
            writer_of(rng, family),
            uploaded,
            "",
            uploaded,
        )
