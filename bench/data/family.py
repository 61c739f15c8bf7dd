"""One synthetic family: a caregiver (sometimes with a helper and a viewer) and
their patients, with ``days`` of history ending ``now``, as rows for COPY.

What "realistic" means here, as the app would have written it:

1. Medicines in the shapes the app supports (catalog.SHAPE_WEIGHTS): daily at 1–4
   times, chosen weekdays, every N days, every N hours, short courses, tapers (a
   daily schedule per step with its own dose, then stopped) and as-needed ones
   with a maximum per 24 hours. Some chronic medicines started before the
   history, some stop or pause during it, some change schedule once (two
   schedules, the first ended).
2. Doses are exactly what ``doses.generation`` makes for those schedules (the same
   ``recurrence.occurrences``), up to ``now`` + DOSE_WINDOW_DAYS; each schedule's
   ``generated_until`` says so. Past doses are taken (the patient's adherence,
   70–99 %, mostly on time), skipped with a reason, or missed; doses due in the last
   DOSE_MISSED_HOURS not yet recorded are still pending (the sweep has not reached
   them); as-needed doses are given now and then, within their daily maximum.
3. 1–4 vital types per patient on most days, in canonical units, flagged against
   the patient's target ranges; a journal entry on about half the days;
   appointments every few weeks (past ones done, cancelled or missed, the next
   months scheduled); document rows (no stored objects); and the notifications the
   jobs would have sent: missed doses, readings outside the target, appointment
   reminders, low stock.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from zoneinfo import ZoneInfo

from django.urls import reverse

from bench.data import catalog as c
from bench.data.medicines import add_medicine, notify_missed
from bench.data.people import APPOINTMENT_ID, MEDICATION_ID, ONE_DAY, Family, Member, PatientInfo
from bench.data.records import add_appointments, add_files, add_journal, add_vitals
from bench.data.rows import Batch, Ids

#: ``PatientCaregiver`` roles and how often a family has a helper or a viewer.
HELPER_SHARE, VIEWER_SHARE = 0.3, 0.1
#: How many medicines a patient takes (3–12), mostly a handful.
MEDICINE_COUNTS = list(range(3, 13))
MEDICINE_WEIGHTS = [24, 22, 16, 11, 8, 6, 5, 3, 3, 2]


def build_family(
    rng: random.Random,
    batch: Batch,
    ids: Ids,
    *,
    email: str,
    patients: int,
    days: int,
    now: dt.datetime,
    zone: str | None = None,
) -> Family:
    """Add a family's rows to ``batch``; what it is made of (ids for the caller)."""
    zone_name = zone or rng.choice(c.ZONES)
    start = now - days * ONE_DAY
    caregiver_name = f"{rng.choice(c.FIRST_NAMES)} {rng.choice(c.SURNAMES)}"
    family = Family(user_id=ids(), email=email)
    people = [(family.user_id, email, caregiver_name, "primary")]
    local, _at, domain = email.partition("@")
    if rng.random() < HELPER_SHARE:
        people.append((ids(), f"{local}+helper@{domain}", "Helper " + caregiver_name, "secondary"))
    if rng.random() < VIEWER_SHARE:
        people.append((ids(), f"{local}+viewer@{domain}", "Viewer " + caregiver_name, "viewer"))
    imperial = zone_name in c.IMPERIAL
    for user_id, address, name, role in people:
        batch.add("users", user_id, address, name, "!", False, "caregiver", True, start, start)
        units = {
            "length": "in" if imperial else "cm",
            "weight": "lb" if imperial else "kg",
            "glucose": "mg/dL" if imperial or rng.random() < 0.5 else "mmol/L",
            "temperature": "F" if imperial else "C",
        }
        batch.add("user_settings", user_id, zone_name, json.dumps(units), "en", start)
        email_enabled = rng.random() < 0.85
        if rng.random() < 0.35:  # someone who changed their preferences
            channels = {"dose_due": ["in_app"]} if rng.random() < 0.6 else {}
            quiet = (dt.time(22), dt.time(7)) if rng.random() < 0.4 else (None, None)
            batch.add(
                "notification_preferences",
                user_id,
                email_enabled,
                json.dumps(channels),
                *quiet,
                start,
            )
        else:
            email_enabled = True
        family.members.append(Member(user_id, role, email_enabled))
    for _n in range(patients):
        patient = _add_patient(rng, batch, ids, family, zone_name, start, now, days)
        family.patient_ids.append(patient.id)
        _add_care(rng, batch, ids, family, patient, now)
    return family


def _add_patient(
    rng: random.Random,
    batch: Batch,
    ids: Ids,
    family: Family,
    zone_name: str,
    start: dt.datetime,
    now: dt.datetime,
    days: int,
) -> PatientInfo:
    zone = ZoneInfo(zone_name)
    today = now.astimezone(zone).date()
    patient_id = ids()
    name = f"{rng.choice(c.FIRST_NAMES)} {rng.choice(c.SURNAMES)}"
    dob = dt.date(1925, 1, 1) + dt.timedelta(days=rng.randrange(365 * 60))
    batch.add(
        "patients",
        patient_id,
        name,
        dob,
        rng.choice(["female", "male", "female", "male", "other"]),
        rng.sample(c.ALLERGIES, rng.choice([0, 0, 1, 2])),
        rng.sample(c.CONDITIONS, rng.randint(1, 3)),
        json.dumps({"name": "Sam", "phone": "+12025550143", "relationship": "child"}),
        zone_name,
        family.user_id,
        start,
        start,
    )
    for member in family.members:
        batch.add(
            "patient_caregivers",
            ids(),
            patient_id,
            member.user_id,
            member.role,
            "{}",
            True,
            start,
            start,
            start,
        )
    urls = {
        name: reverse(view, args=[patient_id, *extra])
        for name, view, extra in (
            ("doses", "doses:today", []),
            ("appointment", "appointments:detail", [APPOINTMENT_ID]),
            ("medication", "medications:detail", [MEDICATION_ID]),
        )
    }
    return PatientInfo(
        id=patient_id,
        name=name,
        zone=zone,
        first_day=today - dt.timedelta(days=days),
        today=today,
        adherence=min(0.99, max(0.7, rng.betavariate(14, 2))),
        urls=urls,
    )


def _add_care(
    rng: random.Random,
    batch: Batch,
    ids: Ids,
    family: Family,
    patient: PatientInfo,
    now: dt.datetime,
) -> None:
    count = rng.choices(MEDICINE_COUNTS, MEDICINE_WEIGHTS)[0]
    shapes = list(c.SHAPE_WEIGHTS)
    weights = list(c.SHAPE_WEIGHTS.values())
    chosen: dict[str, c.Medicine] = {}
    while len(chosen) < count:
        shape = rng.choices(shapes, weights)[0]
        medicine = rng.choice([m for m in c.MEDICINES if m.shape == shape])
        chosen.setdefault(medicine.name, medicine)
    missed: list[tuple[uuid.UUID, str, dt.datetime]] = []
    for medicine in chosen.values():
        missed += add_medicine(rng, batch, ids, family, patient, medicine, now)
    readings = add_vitals(rng, batch, ids, family, patient, now)
    logs = add_journal(rng, batch, ids, family, patient, now)
    add_appointments(rng, batch, ids, family, patient, now)
    add_files(rng, batch, ids, family, patient, now, readings, logs)
    notify_missed(rng, batch, ids, family, patient, now, missed)
