"""Load the demo data a new developer sees after ``make run`` (DEBUG only)."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from accounts import services as accounts
from accounts.models import User
from caregivers.models import PatientCaregiver
from journal.models import DailyLog
from measurements import services as measurements
from measurements.kinds import KINDS, Context, Limits, Source, Type
from measurements.models import Measurement
from medications import services as medications
from medtrack.rls import WRITERS, acting_as
from patients import services as patients
from patients.access import Area, Level, get_patient_for_user, level_for
from patients.models import Patient

#: Two families who must never see each other's data.
FAMILIES: list[dict[str, Any]] = [
    {
        "email": settings.DEMO_EMAIL,
        "name": "Demo Caregiver",
        "timezone": "Europe/Madrid",
        "patient": {
            "name": "Rosa García",
            "dob": dt.date(1944, 5, 17),
            "gender": "female",
            "allergies": ["Penicillin", "Shellfish"],
            "medical_conditions": ["Type 2 diabetes", "Hypertension", "Mild dementia"],
            "emergency_contact": {
                "name": "Lucía García",
                "phone": "+34612345678",
                "relationship": "Daughter",
            },
            "timezone": "Europe/Madrid",
        },
        "story": "rosa",
        # (type, lowest, highest[, lowest diastolic, highest diastolic]) in canonical units.
        "targets": [
            (Type.BLOOD_PRESSURE, 90, 140, 60, 90),
            (Type.BLOOD_GLUCOSE, 70, 180),
            (Type.HEART_RATE, 50, 100),
            (Type.TEMPERATURE, None, "37.8"),
            (Type.OXYGEN_SATURATION, 92, None),
            (Type.WEIGHT, 55, 75),
        ],
    },
    {
        "email": "other-family@example.com",
        "name": "Other Family",
        "timezone": "America/New_York",
        "patient": {
            "name": "Tom Becker",
            "dob": dt.date(2015, 9, 2),
            "gender": "male",
            "allergies": [],
            "medical_conditions": ["Type 1 diabetes"],
            "emergency_contact": {
                "name": "Mia Becker",
                "phone": "+12025550143",
                "relationship": "Mother",
            },
            "timezone": "America/New_York",
        },
        "story": "tom",
        "targets": [(Type.BLOOD_GLUCOSE, 70, 180)],
    },
]


def _medication_list(today: dt.date) -> list[dict[str, Any]]:
    """A real, messy list: a twice-daily pill, a weekly one, an antibiotic every
    8 hours for a week, an as-needed painkiller and a steroid taper."""
    week = today + dt.timedelta(days=6)
    return [
        {
            "name": "Metformin",
            "strength": "500 mg",
            "dose_unit": "tablet",
            "instructions": "with food",
            "reason": "diabetes",
            "appearance": "white oval tablet",
            "quantity_on_hand": Decimal(40),
            "refill_threshold": Decimal(10),
            "schedule": {"frequency": "daily", "times_of_day": [dt.time(8), dt.time(20)]},
        },
        {
            "name": "Alendronate",
            "strength": "70 mg",
            "dose_unit": "tablet",
            "instructions": "first thing in the morning, with a full glass of water",
            "reason": "bones",
            "schedule": {"frequency": "weekly", "times_of_day": [dt.time(7)], "days_of_week": [1]},
        },
        {
            "name": "Amoxicillin",
            "strength": "500 mg",
            "form": "capsule",
            "dose_unit": "capsule",
            "reason": "chest infection",
            "end_date": week,
            "schedule": {
                "frequency": "every_n_hours",
                "times_of_day": [dt.time(6)],
                "interval": 8,
            },
        },
        {
            "name": "Paracetamol",
            "strength": "1 g",
            "dose_unit": "tablet",
            "reason": "pain",
            "is_prn": True,
            "prn_max_per_day": 4,
            "prn_min_interval_hours": Decimal(6),
        },
        {
            "name": "Prednisone",
            "strength": "5 mg",
            "dose_unit": "tablet",
            "reason": "inflammation",
            "taper": [(Decimal(2), 5), (Decimal(1), 5), (Decimal("0.5"), 3)],
        },
    ]


# -- A year of readings and journal entries ----------------------------------------
#
# Generated, not loaded: dates are relative to the patient's today, and a fixed
# seed makes every run (and every developer's demo) tell the same story.
# Written with bulk_create as the demo user (row level security applies; the
# history triggers still record each row), flagged against the targets as
# ``MeasurementThreshold.breached`` does, then re-flagged by the service.

BATCH = 500
Clock = tuple[int, int]  # (hour, minute) on the patient's wall clock


def _number(value: float, places: int = 0) -> Decimal:
    return Decimal(f"{value:.{places}f}")


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _within(value: Decimal, limits: Limits | None) -> Decimal:
    """Never outside what is physiologically possible (a safety net: the stories
    stay far inside)."""
    if limits is None:
        return value
    return max(limits.low, min(limits.high, value))


def _rating(value: float) -> int:
    return int(_clamp(round(value), 1, 5))


@dataclass
class _Story:
    """One patient's generated readings and journal entries, ready for bulk inserts."""

    patient: Patient
    author: User  # the demo user: writes the daily journal
    writers: list[User]  # team members who may record readings (author first)
    now: dt.datetime
    rng: random.Random
    readings: list[Measurement] = field(default_factory=list)
    entries: list[DailyLog] = field(default_factory=list)

    @property
    def zone(self) -> ZoneInfo:
        return self.patient.zone

    @property
    def today(self) -> dt.date:
        return self.now.astimezone(self.zone).date()

    def at(self, day: dt.date, earliest: Clock, latest: Clock) -> dt.datetime:
        """A random minute between two wall-clock times of ``day``, aware in the
        patient's time zone."""
        minute = self.rng.randint(earliest[0] * 60 + earliest[1], latest[0] * 60 + latest[1])
        return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=self.zone)

    def reading(
        self,
        type_: str,
        at: dt.datetime,
        value: Decimal,
        secondary: Decimal | None = None,
        *,
        by: User,
        context: str = "",
        source: str = Source.MANUAL,
        label: str = "",
        unit: str = "",
    ) -> bool:
        """Add a reading unless it would be in the future; True if added."""
        if at > self.now:
            return False
        kind = KINDS[type_]
        value = _within(value, kind.limits)
        if secondary is not None:
            secondary = _within(secondary, kind.secondary_limits)
        self.readings.append(
            Measurement(
                patient=self.patient,
                type=type_,
                label=label,
                value=value,
                value_secondary=secondary,
                unit=unit or kind.canonical,
                measured_at=at,
                context=context if context in kind.contexts else "",
                source=source,
                recorded_by=by,
                created_at=min(at + dt.timedelta(minutes=self.rng.randint(0, 15)), self.now),
            )
        )
        return True

    def entry(self, day: dt.date, by: User, written: dt.datetime, **content: Any) -> bool:
        if written > self.now:
            return False
        self.entries.append(
            DailyLog(
                patient=self.patient, log_date=day, created_by=by, created_at=written, **content
            )
        )
        return True


#: Rosa fell ill (a chest infection) this many days ago; severity on each day.
ILLNESS_DAYS_AGO = 62
ILLNESS = (0.6, 1.0, 0.9, 0.6, 0.3)
ROSA_NOTES = (
    "Good day, ate well.",
    "A bit confused in the afternoon, settled after a nap.",
    "Asked about her sister again.",
    "Slept badly, up twice in the night.",
    "Walked to the bakery with me.",
    "Enjoyed the music at the day centre.",
    "Forgot her glasses at the day centre.",
    "Didn't want lunch, had a good dinner.",
    "Physio says the knee is getting stronger.",
    "Watched an old film together.",
)
ILLNESS_NOTES = (
    "Feverish and coughing since the morning. Called the GP.",
    "GP visit: chest infection, started antibiotics.",
    "Still coughing, fever lower in the evening. Stayed in bed most of the day.",
    "Better today, ate some soup.",
    "Fever gone. Still tired.",
)


def _rosa(story: _Story) -> None:
    """A year of an 80-year-old with type 2 diabetes and hypertension: blood
    pressure and fasting glucose most mornings, weekly weight drifting down, a
    chest infection two months ago, and her daughter's journal."""
    rng, today, author = story.rng, story.today, story.author
    others = [writer for writer in story.writers if writer != author]
    first = today - dt.timedelta(days=364)
    mood_drift, knee_flare = 0.0, 0

    for days_ago in range(364, -1, -1):
        day = today - dt.timedelta(days=days_ago)
        since_ill = ILLNESS_DAYS_AGO - days_ago
        severity = ILLNESS[since_ill] if 0 <= since_ill < len(ILLNESS) else 0.0
        recovering = len(ILLNESS) <= since_ill < len(ILLNESS) + 4
        # 1 in mid-January, -1 in mid-July: pressure runs higher in winter.
        winter = math.cos(2 * math.pi * (day.timetuple().tm_yday - 15) / 365.25)
        mood_drift = 0.85 * mood_drift + rng.gauss(0, 0.3)
        if knee_flare:
            knee_flare -= 1
        elif rng.random() < 0.025:
            knee_flare = rng.randint(2, 4)
        by = rng.choice(story.writers)  # whoever is with her that day
        systolic: float | None = None
        pain: int | None = None

        # Mornings: fasting glucose before breakfast, then pressure and pulse.
        if severity or rng.random() < 0.85:
            glucose = rng.gauss(126 + 30 * severity, 16)
            if rng.random() < 0.01:
                glucose = rng.uniform(62, 69)  # a low after a small supper
            story.reading(
                Type.BLOOD_GLUCOSE,
                story.at(day, (7, 0), (7, 40)),
                _number(glucose),
                by=by,
                context=Context.FASTING,
            )
        if severity or rng.random() < 0.9:
            at = story.at(day, (7, 30), (9, 0))
            systolic = rng.gauss(129 + 4 * winter + 6 * severity, 8)
            if rng.random() < 0.02:
                systolic += rng.uniform(15, 25)
            diastolic = rng.gauss(76 + 2 * winter, 5) + (systolic - 128) * 0.2
            context = Context.RESTING if rng.random() < 0.7 else ""
            source = Source.DEVICE if rng.random() < 0.12 else Source.MANUAL
            pulse = rng.gauss(71 + 14 * severity, 6)
            story.reading(
                Type.BLOOD_PRESSURE,
                at,
                _number(systolic),
                _number(diastolic),
                by=by,
                context=context,
                source=source,
            )
            story.reading(
                Type.HEART_RATE, at, _number(pulse), by=by, context=context, source=source
            )
        if day.weekday() == 0 and rng.random() < 0.95:  # Monday, before breakfast
            elapsed = (day - first).days / 365
            weight = 68 - 2 * elapsed + rng.gauss(0, 0.3) - (0.8 if recovering else 0)
            story.reading(Type.WEIGHT, story.at(day, (7, 10), (7, 30)), _number(weight, 1), by=by)
        if days_ago == 364:
            story.reading(Type.HEIGHT, story.at(day, (10, 0), (11, 0)), Decimal("157.5"), by=by)

        # The chest infection: fever, lower saturation, faster breathing, pain.
        if severity:
            for earliest, latest in (((8, 0), (9, 0)), ((20, 0), (21, 30))):
                at = story.at(day, earliest, latest)
                fever = _clamp(rng.gauss(37.5 + 1.1 * severity, 0.15), 37.5, 38.6)
                saturation = _clamp(round(rng.gauss(96.3 - 3 * severity, 0.5)), 93, 96)
                story.reading(Type.TEMPERATURE, at, _number(fever, 1), by=by)
                story.reading(Type.OXYGEN_SATURATION, at, _number(saturation), by=by)
            breathing = _clamp(rng.gauss(16 + 6 * severity, 1.5), 14, 24)
            story.reading(
                Type.RESPIRATORY_RATE,
                story.at(day, (9, 0), (9, 30)),
                _number(breathing),
                by=by,
                context=Context.RESTING,
            )
            pain = int(_clamp(round(4 + 3 * severity + rng.gauss(0, 0.5)), 4, 7))
            peak_flow = rng.gauss(330 - 90 * severity, 10)
            story.reading(
                Type.OTHER,
                story.at(day, (10, 0), (11, 0)),
                _number(peak_flow),
                by=by,
                label="Peak flow",
                unit="L/min",
            )
        else:
            if rng.random() < 0.02:
                temperature = _clamp(rng.gauss(36.7, 0.2), 36.2, 37.3)
                story.reading(
                    Type.TEMPERATURE,
                    story.at(day, (9, 0), (12, 0)),
                    _number(temperature, 1),
                    by=by,
                )
            if rng.random() < 0.06:
                saturation = _clamp(round(rng.gauss(96.5, 0.9)), 94, 99)
                story.reading(
                    Type.OXYGEN_SATURATION,
                    story.at(day, (9, 0), (12, 0)),
                    _number(saturation),
                    by=by,
                )
            if rng.random() < 0.015:
                story.reading(
                    Type.OTHER,
                    story.at(day, (10, 0), (12, 0)),
                    _number(rng.gauss(335, 12)),
                    by=by,
                    label="Peak flow",
                    unit="L/min",
                )
            if knee_flare and rng.random() < 0.7:
                pain = rng.randint(3, 6)
            elif rng.random() < 0.05:
                pain = rng.randint(1, 3)
        if pain is not None:
            story.reading(Type.PAIN, story.at(day, (11, 0), (13, 0)), Decimal(pain), by=by)

        # Evenings: pressure again some days, glucose two hours after dinner.
        if not severity and rng.random() < 0.25:
            at = story.at(day, (19, 0), (21, 30))
            active = rng.random() < 0.25
            evening = rng.gauss(131 + 4 * winter + (8 if active else 0), 9)
            context = Context.AFTER_ACTIVITY if active else rng.choice([Context.RESTING, ""])
            story.reading(
                Type.BLOOD_PRESSURE,
                at,
                _number(evening),
                _number(rng.gauss(77 + 2 * winter, 5)),
                by=by,
                context=context,
            )
            story.reading(
                Type.HEART_RATE,
                at,
                _number(rng.gauss(82 if active else 73, 6)),
                by=by,
                context=context,
            )
        if severity or rng.random() < 0.35:
            glucose = rng.gauss(160 + 35 * severity, 24)
            story.reading(
                Type.BLOOD_GLUCOSE,
                story.at(day, (21, 30), (22, 30)),
                _number(glucose),
                by=by,
                context=Context.AFTER_MEAL,
            )

        # The journal, written in the evening.
        if not (severity or rng.random() < 0.75):
            continue
        high_pressure = systolic is not None and systolic > 145
        wellbeing = (
            mood_drift
            - 1.8 * severity
            - (0.6 if recovering else 0)
            - (0.4 if knee_flare else 0)
            - (0.4 if high_pressure else 0)
        )
        mood = _rating(3.6 + wellbeing + rng.gauss(0, 0.5))
        energy = _rating(3.3 + wellbeing + rng.gauss(0, 0.6))
        if pain is None:
            pain = rng.randint(3, 5) if knee_flare else rng.choice([0, 0, 1, 1, 2])
        symptoms: list[str] = []
        if severity:
            symptoms += ["cough", "tired"]
            if severity > 0.5 and rng.random() < 0.6:
                symptoms.append("headache")
        else:
            if energy <= 2 or recovering:
                symptoms.append("tired")
            if (high_pressure and rng.random() < 0.4) or rng.random() < 0.02:
                symptoms.append("dizzy")
            if (high_pressure and rng.random() < 0.3) or rng.random() < 0.03:
                symptoms.append("headache")
            if knee_flare or pain >= 3:
                symptoms.append("knee pain")
            if winter < -0.3 and rng.random() < 0.15:
                symptoms.append("swollen ankles")
        activities: list[str] = []
        if severity < 0.5:
            if rng.random() < (0.35 if recovering or knee_flare else 0.6):
                activities.append("walk")
            if day.weekday() == 1 and rng.random() < 0.85:
                activities.append("physiotherapy")
            if day.weekday() in (0, 2, 4) and not recovering and rng.random() < 0.8:
                activities.append("day centre")
            if 4 <= day.month <= 9 and rng.random() < 0.25:
                activities.append("gardening")
            if (day.weekday() == 6 and rng.random() < 0.5) or rng.random() < 0.03:
                activities.append("visit from grandchildren")
        if severity:
            notes = ILLNESS_NOTES[since_ill]
        elif high_pressure and rng.random() < 0.5:
            notes = "Blood pressure high this morning; rechecked after resting."
        elif rng.random() < 0.15:
            notes = rng.choice(ROSA_NOTES)
        else:
            notes = ""
        content: dict[str, Any] = {
            "mood": mood,
            "energy": energy,
            "appetite": _rating(3.8 + 0.7 * wellbeing + rng.gauss(0, 0.5)),
            "sleep_quality": _rating(3.4 + 0.8 * wellbeing + rng.gauss(0, 0.7)),
            "sleep_hours": _number(
                _clamp(round((6.8 + 0.4 * wellbeing + rng.gauss(0, 0.7)) * 4) / 4, 3, 10), 2
            ),
            "pain_level": pain,
            "symptoms": symptoms,
            "activities": activities,
            "notes": notes,
        }
        story.entry(day, author, story.at(day, (21, 0), (23, 0)), **content)
        # Another caregiver of the team sometimes writes their own view of the day.
        if others and rng.random() < (0.5 if severity else 0.2):
            story.entry(
                day,
                rng.choice(others),
                story.at(day, (18, 0), (20, 45)),
                mood=_rating(mood + rng.choice([-1, 0, 0, 1])),
                energy=_rating(energy + rng.choice([-1, 0, 0, 1])),
                pain_level=pain,
                symptoms=symptoms[:1],
                activities=activities[:1],
                notes="",
            )


def _tom(story: _Story) -> None:
    """Three weeks of a 10-year-old with type 1 diabetes: glucose four times a day,
    weight on Saturdays, a height and a few pulses after football."""
    rng, today = story.rng, story.today
    for days_ago in range(20, -1, -1):
        day = today - dt.timedelta(days=days_ago)
        by = rng.choice(story.writers)
        school = day.weekday() < 5
        checks: list[tuple[Clock, Clock, str]] = [
            ((6, 45), (7, 15) if school else (8, 30), Context.FASTING),
            ((12, 0), (12, 30), Context.BEFORE_MEAL),
            ((19, 30), (20, 15), Context.AFTER_MEAL),
            ((20, 45), (21, 30), Context.BEDTIME),
        ]
        for earliest, latest, context in checks:
            if context == Context.AFTER_MEAL and rng.random() < 0.6:
                continue
            glucose = rng.gauss(145, 38)
            if rng.random() < 0.04:
                glucose = rng.uniform(55, 69)
            story.reading(
                Type.BLOOD_GLUCOSE,
                story.at(day, earliest, latest),
                _number(_clamp(glucose, 45, 350)),
                by=by,
                context=context,
            )
        if day.weekday() == 5:
            weight = 32.4 + 0.01 * (20 - days_ago) + rng.gauss(0, 0.15)
            story.reading(Type.WEIGHT, story.at(day, (8, 0), (9, 0)), _number(weight, 1), by=by)
        if days_ago == 20:
            story.reading(Type.HEIGHT, story.at(day, (8, 0), (9, 0)), Decimal("139.0"), by=by)
        if day.weekday() in (1, 3) and rng.random() < 0.5:
            story.reading(
                Type.HEART_RATE,
                story.at(day, (17, 30), (18, 30)),
                _number(rng.gauss(98, 8)),
                by=by,
                context=Context.AFTER_ACTIVITY,
            )


STORIES: dict[str, tuple[int, Callable[[_Story], None]]] = {
    "rosa": (19440517, _rosa),
    "tom": (20150902, _tom),
}


def _writers(patient: Patient, area: Area) -> list[User]:
    """The active team members who may write ``area``, the longest-standing first."""
    members = (
        PatientCaregiver.objects.filter(patient=patient, is_active=True, role__in=WRITERS)
        .select_related("caregiver")
        .order_by("created_at", "caregiver__email")
    )
    return [
        member.caregiver
        for member in members
        if level_for(member.role, member.permissions, area) >= Level.WRITE
    ]


class Command(BaseCommand):
    help = (
        "Create the demo accounts (demo@example.com and other-family@example.com, password "
        f"{settings.DEMO_PASSWORD!r}) and their patients if missing: two families that must "
        "never see each other, Rosa with targets, a year of readings and a daily journal, Tom "
        "with three weeks of glucose readings. Refuses to run unless DEBUG is on: the demo "
        "login is public knowledge and must never exist in production. Existing data is left "
        "alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Say what would be created.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DEBUG on; the demo login is public.")
        created = readings = entries = 0
        for family in FAMILIES:
            if User.objects.filter(email=family["email"]).exists():
                continue
            if options["dry_run"]:
                self.stdout.write(
                    f"Would create {family['email']} and {family['patient']['name']}."
                )
                continue
            with transaction.atomic():
                user = accounts.user_signup(
                    email=family["email"],
                    name=family["name"],
                    password=settings.DEMO_PASSWORD,
                    timezone=family["timezone"],
                    language="en",
                )
                with acting_as(user.pk):
                    patient = patients.patient_create(actor=user, **family["patient"])
                    self._medications(user, patient)
                    story = self._history(user, patient, family)
                    self._appointments(user, patient, family["story"])
            created += 1
            readings += len(story.readings)
            entries += len(story.entries)
        if created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created {created} demo family(ies), with {readings} readings and "
                    f"{entries} journal entries."
                )
            )
        elif options["verbosity"] >= 2:
            self.stdout.write("The demo data already exists; nothing to do.")

    def _appointments(self, user: User, patient: Any, story: str) -> None:
        """A few past visits with what came of them, and the next ones to come."""

        from appointments import services as appointments

        loaded = get_patient_for_user(user, patient.pk, Area.APPOINTMENTS, Level.WRITE)
        zone = loaded.zone
        today = timezone.now().astimezone(zone).date()
        plans = {
            "rosa": [
                (
                    -62,
                    11,
                    "GP visit: chest infection",
                    "checkup",
                    "Dr. Serrano",
                    "completed",
                    "Amoxicillin for 7 days; come back if the fever lasts.",
                ),
                (
                    -30,
                    9,
                    "Blood test (HbA1c)",
                    "lab",
                    "Centro de Salud Norte",
                    "completed",
                    "HbA1c 7.1 %; keep the Metformin as it is.",
                ),
                (-9, 12, "Physiotherapy: knee", "therapy", "Fisio Vital", "missed", ""),
                (2, 10, "Cardiology check-up", "specialist", "Dr. Ruiz", "scheduled", ""),
                (9, 17, "Physiotherapy: knee", "therapy", "Fisio Vital", "scheduled", ""),
                (23, 8, "Eye test (diabetes)", "vision", "Hospital Clínico", "scheduled", ""),
            ],
            "tom": [
                (5, 16, "Diabetes clinic", "specialist", "Dr. Okafor", "scheduled", ""),
            ],
        }
        for days, hour, title, kind, provider, status, outcome in plans.get(story, []):
            appointment = appointments.appointment_create(
                patient=loaded,
                actor=user,
                title=title,
                appointment_type=kind,
                provider_name=provider,
                location=provider if kind != "specialist" else "Hospital Clínico, planta 3",
                starts_at=dt.datetime.combine(
                    today + dt.timedelta(days=days), dt.time(hour), zone
                ),
                escort=user,
            )
            if status != "scheduled":
                appointments.appointment_set_status(
                    patient=loaded,
                    actor=user,
                    appointment=appointment,
                    status=status,
                    outcome=outcome,
                )

    def _medications(self, user: User, patient: Any) -> None:
        loaded = get_patient_for_user(user, patient.pk, Area.MEDICATIONS, Level.WRITE)
        today = loaded.today()  # their day
        for spec in _medication_list(today):
            spec = dict(spec)
            schedule, taper = spec.pop("schedule", None), spec.pop("taper", None)
            medication = medications.medication_create(
                patient=loaded, actor=user, dose_amount=Decimal(1), start_date=today, **spec
            )
            if schedule:
                medications.schedule_create(
                    patient=loaded,
                    actor=user,
                    medication=medication,
                    start_date=today,
                    **{"days_of_week": [], "interval": None, **schedule},
                )
            if taper:
                medications.taper_create(
                    patient=loaded,
                    actor=user,
                    medication=medication,
                    start=today,
                    times=[dt.time(9)],
                    steps=[medications.TaperStep(a, d) for a, d in taper],
                )

    def _history(self, user: User, patient: Any, family: dict[str, Any]) -> _Story:
        """The family's targets, then its generated readings and journal in bulk
        (as ``user``, inside the transaction that created the family: a family
        that exists is left alone, so a second run adds nothing)."""
        loaded = get_patient_for_user(user, patient.pk, Area.MEASUREMENTS, Level.WRITE)
        thresholds = {}
        for type_, low, high, *diastolic in family["targets"]:
            low2, high2 = diastolic or (None, None)
            thresholds[type_], _ = measurements.threshold_set(
                patient=loaded,
                actor=user,
                type=type_,
                min_value=None if low is None else Decimal(low),
                max_value=None if high is None else Decimal(high),
                min_secondary=None if low2 is None else Decimal(low2),
                max_secondary=None if high2 is None else Decimal(high2),
            )
        seed, tell = STORIES[family["story"]]
        story = _Story(
            patient=loaded,
            author=user,
            writers=_writers(loaded, Area.MEASUREMENTS) or [user],
            now=timezone.now(),
            rng=random.Random(seed),  # noqa: S311 - demo data, meant to be repeatable
        )
        tell(story)
        Measurement.objects.bulk_create(story.readings, batch_size=BATCH)
        for threshold in thresholds.values():
            measurements.reflag(loaded, threshold)
        if story.entries:
            get_patient_for_user(user, patient.pk, Area.LOGS, Level.WRITE)
            DailyLog.objects.bulk_create(story.entries, batch_size=BATCH)
        return story
