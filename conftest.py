"""The shared test cast and browser set-up.

The cast (healthchecks-style): ``primary`` created ``patient`` and runs the
care, ``secondary`` helps, ``viewer`` only reads, ``stranger`` has a family of
their own (``other_patient``) and nothing to do with ``patient``. Test data is
written the way the app writes it: as its user under row level security, or
in system context where the app would be.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import django.test
import hypothesis
import pytest
from django.conf import settings
from django.utils import timezone, translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import tokens
from accounts.models import User
from accounts.session_limits import draft_save
from appointments.models import Appointment
from audit.models import BreakGlassGrant
from caregivers import services as caregivers
from caregivers.models import PatientCaregiver
from doses.models import Dose
from files import services as files
from files.models import File
from journal import services as journal
from journal.models import DailyLog
from measurements import services as measurements
from measurements.models import Measurement, MeasurementThreshold
from medications import services as medications
from medications.models import Medication
from medtrack.rls import acting_as, system_context
from notifications.models import NotificationPreferences
from patients import services as patients
from patients.access import Area, get_patient_for_user
from patients.models import Patient
from sync.services import sync_log_record

# Property tests judge results, not speed (CI machines are busy; speed is `make bench`'s).
hypothesis.settings.register_profile("medtrack", deadline=None)
hypothesis.settings.load_profile("medtrack")

# Uploaded files go to a scratch directory per test process, never into var/.
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="medtrack-media-"))

# live_server + Playwright's sync API share a thread with an event loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "correct-horse-battery"


def make_user(email: str, name: str, **fields: Any) -> User:
    return User.objects.create_user(email=email, password=PASSWORD, name=name, **fields)


@pytest.fixture(autouse=True)
def _english_by_default() -> Iterator[None]:
    """Each test starts in English: a request in another language leaves that
    language active in the thread (as Django does), which would leak."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def primary(db: None) -> User:
    return make_user("alice@example.com", "Alice Primary")


@pytest.fixture
def secondary(db: None) -> User:
    return make_user("bob@example.com", "Bob Secondary")


@pytest.fixture
def viewer(db: None) -> User:
    return make_user("vera@example.com", "Vera Viewer")


@pytest.fixture
def stranger(db: None) -> User:
    return make_user("charlie@example.com", "Charlie Stranger")


def make_patient(creator: User, name: str, **fields: Any) -> Patient:
    profile = {
        "name": name,
        "dob": dt.date(1941, 3, 14),
        "gender": "female",
        "allergies": ["penicillin"],
        "medical_conditions": ["type 2 diabetes"],
        "emergency_contact": {"name": "Ana", "phone": "+34612345678", "relationship": "daughter"},
        "timezone": "Europe/Madrid",
        **fields,
    }
    with acting_as(creator.pk):
        return patients.patient_create(actor=creator, **profile)


def add_member(patient: Patient, user: User, role: str, **fields: Any) -> PatientCaregiver:
    """Team screens arrive with the caregivers issue; until then, rows go in directly."""
    with system_context("test fixture"):
        return PatientCaregiver.objects.create(
            patient=patient, caregiver=user, role=role, **fields
        )


def as_member(user: User, patient: Patient, area: Area = Area.PATIENT) -> Patient:
    """The patient as ``user`` loads it in a view (with their membership)."""
    with acting_as(user.pk):
        return get_patient_for_user(user, patient.pk, area)


@pytest.fixture
def patient(primary: User, secondary: User, viewer: User) -> Patient:
    """Rosa, with a team of three and a pending invitation: a row in every table
    built so far (the RLS proof needs data in each)."""
    patient = make_patient(primary, "Rosa Primary")
    add_member(patient, secondary, "secondary")
    add_member(patient, viewer, "viewer")
    with acting_as(primary.pk):
        caregivers.invitation_create(
            patient=as_member(primary, patient),
            actor=primary,
            email="nina@example.com",
            role="viewer",
        )
    add_medication(primary, patient)
    with acting_as(primary.pk):
        dose = Dose.objects.filter(patient=patient).order_by("scheduled_for").first()
        Dose.objects.filter(pk=dose.pk).update(
            status="taken", taken_at=dose.scheduled_for, recorded_by=primary
        )
    add_reading(primary, patient, "blood_pressure", Decimal(150), Decimal(95))
    set_target(primary, patient, "blood_pressure", Decimal(90), Decimal(140))
    write_journal(primary, patient, mood=4, sleep_hours=Decimal("7.5"), symptoms=["tired"])
    add_appointment(primary, patient, "Cardiology check-up", escort=secondary)
    from notifications.services import notify_flagged_readings

    notify_flagged_readings(now=timezone.now())  # the 150/95 above: one per member
    with acting_as(primary.pk):
        reading = Measurement.objects.filter(patient=patient).first()
    photo = add_file(primary, patient, "blood pressure cuff.png", measurement=reading)
    nora = make_user("nora@example.com", "Nora Nurse")  # a visiting nurse, not on the team
    with acting_as(primary.pk):
        files.file_share(
            patient=as_member(primary, patient, Area.FILES),
            actor=primary,
            file=photo,
            email=nora.email,
            expires_at=None,
        )
    from exports.services import export_request

    with acting_as(primary.pk):  # a PDF report asked for (the worker has not made it)
        export_request(
            patient=as_member(primary, patient, Area.EXPORTS),
            actor=primary,
            format="pdf",
            date_from=timezone.localdate() - dt.timedelta(days=30),
            date_to=timezone.localdate(),
        )
    with acting_as(primary.pk):  # Alice's own rows: choices, tokens and a sync
        NotificationPreferences.objects.create(
            user=primary, quiet_hours_start=dt.time(22), quiet_hours_end=dt.time(7)
        )
        tokens.token_create(user=primary, name="Phone calendar", scopes=["calendar:read"])
        phone, _secret = tokens.token_create(user=primary, name="Alice's phone", scopes=["sync"])
        sync_log_record(user=primary, token=phone, client_id="phone", direction="pull", items=12)
    # A journal entry she was typing when her session ended (accounts.session_limits).
    draft_save(user_id=primary.pk, path="/patients/x/journal/new/", data={"notes": ["Slept"]})
    past_break_glass(patient)
    return patient


def past_break_glass(patient: Patient) -> BreakGlassGrant:
    """Emergency access support had last week and ended early, written straight to
    the table (no notice, no log): the patient's rows in break_glass_grants and its
    history. Nobody has access now."""
    support = make_user("support@example.com", "Sid Support", role="admin")
    opened = timezone.now() - dt.timedelta(days=7)
    with system_context("test fixture"):
        return BreakGlassGrant.objects.create(
            staff=support,
            patient=patient,
            reason="Ticket 1041: the family asked why a dose shows twice.",
            created_at=opened,
            expires_at=opened + dt.timedelta(hours=1),
            ended_at=opened + dt.timedelta(minutes=20),
            ended_by=support,
        )


def png_bytes(size: tuple[int, int] = (64, 48), colour: str = "teal", **save: Any) -> bytes:
    """A small real PNG (or another ``format=``)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=save.pop("format", "PNG"), **save)
    return out.getvalue()


def add_file(
    user: User,
    patient: Patient,
    name: str = "photo.png",
    content: bytes | None = None,
    **fields: Any,
) -> File:
    """A file as ``user`` uploads it (by default a small PNG)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(name, content if content is not None else png_bytes())
    with acting_as(user.pk):
        result = files.files_upload(
            patient=as_member(user, patient, Area.FILES),
            actor=user,
            uploads=[upload],
            form_token=uuid.uuid4(),
            **fields,
        )
    assert result.saved, result.refused
    return result.saved[0]


def add_appointment(
    user: User, patient: Patient, title: str, *, at: dt.datetime | None = None, **fields: Any
) -> Appointment:
    """An appointment as ``user`` adds it (by default tomorrow at 10:30 on the patient's clock)."""

    from appointments import services as appointments

    zone = patient.zone
    tomorrow = timezone.now().astimezone(zone).date() + dt.timedelta(days=1)
    loaded = as_member(user, patient, Area.APPOINTMENTS)
    values = {
        "title": title,
        "appointment_type": "specialist",
        "provider_name": "Dr. Ruiz",
        "location": "Hospital Clínico, planta 3",
        "starts_at": at or dt.datetime.combine(tomorrow, dt.time(10, 30), zone),
        **fields,
    }
    with acting_as(user.pk):
        return appointments.appointment_create(patient=loaded, actor=user, **values)


def add_reading(
    user: User,
    patient: Patient,
    type_: str,
    value: Decimal,
    secondary: Decimal | None = None,
    *,
    at: dt.datetime | None = None,
    **fields: Any,
) -> Measurement:
    """A reading (canonical units) as ``user`` records it."""
    from measurements.kinds import KINDS

    loaded = as_member(user, patient, Area.MEASUREMENTS)
    with acting_as(user.pk):
        return measurements.measurement_create(
            patient=loaded,
            actor=user,
            type=type_,
            value=value,
            value_secondary=secondary,
            unit=fields.pop("unit", KINDS[type_].canonical),
            measured_at=at or timezone.now() - dt.timedelta(hours=2),
            **fields,
        )


def set_target(
    user: User,
    patient: Patient,
    type_: str,
    low: Decimal | None,
    high: Decimal | None,
    **more: Any,
) -> MeasurementThreshold:
    loaded = as_member(user, patient, Area.MEASUREMENTS)
    with acting_as(user.pk):
        threshold, _ = measurements.threshold_set(
            patient=loaded, actor=user, type=type_, min_value=low, max_value=high, **more
        )
    return threshold


def write_journal(
    user: User, patient: Patient, day: dt.date | None = None, **content: Any
) -> DailyLog:
    """``user``'s journal entry for ``day`` (the patient's today by default)."""

    loaded = as_member(user, patient, Area.LOGS)
    day = day or patient.today()
    with acting_as(user.pk):
        return journal.entry_save(patient=loaded, actor=user, log_date=day, **content)


def edit_patient(patient: Patient, user: User, **changes: Any) -> None:
    """Save the patient's profile as ``user`` would, with ``changes``."""
    with acting_as(user.pk):
        loaded = as_member(user, patient)
        profile = {
            field: getattr(loaded, field)
            for field in (
                "name",
                "dob",
                "gender",
                "allergies",
                "medical_conditions",
                "emergency_contact",
                "timezone",
            )
        }
        patients.patient_update(patient=loaded, actor=user, version=None, **{**profile, **changes})


def add_medication(
    user: User, patient: Patient, name: str = "Metformin", **fields: Any
) -> Medication:
    """A daily medication at 08:00 and 20:00 since yesterday, with its doses generated."""
    loaded = as_member(user, patient, Area.MEDICATIONS)
    values = {
        "name": name,
        "strength": "500 mg",
        "dose_amount": Decimal(1),
        "dose_unit": "tablet",
        "start_date": timezone.localdate() - dt.timedelta(days=1),
        **fields,
    }
    with acting_as(user.pk):
        medication = medications.medication_create(patient=loaded, actor=user, **values)
        if not medication.is_prn:
            medications.schedule_create(
                patient=loaded,
                actor=user,
                medication=medication,
                frequency="daily",
                times_of_day=[dt.time(8), dt.time(20)],
                days_of_week=[],
                interval=None,
                dose_amount=None,
                start_date=medication.start_date,
                end_date=None,
            )
    return medication


@pytest.fixture
def other_patient(stranger: User) -> Patient:
    return make_patient(stranger, "Tomás Stranger", dob=dt.date(1950, 1, 2), gender="male")


@pytest.fixture
def staff(db: None) -> User:
    """An administrator with two-step sign-in on (the admin opens only with it)."""
    staff = User.objects.create_superuser(
        email="admin@example.com", password=PASSWORD, name="Sam Staff"
    )
    two_factor_on(staff)
    return staff


def two_factor_on(user: User) -> TOTPDevice:
    """A confirmed authenticator app for ``user``, as if they had set it up."""
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def totp_code(device: TOTPDevice) -> str:
    """The code the person's app shows now (time_machine moves "now")."""
    from django_otp.oath import totp

    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


class Client(django.test.Client):
    """pytest-django's ``client``, whose ``force_login`` stands for a whole login,
    the code step included: a user with two-step sign-in on gets an OTP-verified
    session, as the admin requires (``verified=False`` for one that is not)."""

    def force_login(self, user: Any, backend: str | None = None, *, verified: bool = True) -> None:
        super().force_login(user, backend)
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if verified and device is not None:
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()


@pytest.fixture
def client() -> Client:
    return Client()


@pytest.fixture
def staff_client(client: Client, staff: User) -> Client:
    """``staff`` signed in to the admin (two-step verified), with no emergency access yet."""
    client.force_login(staff)
    return client


def break_glass(staff: User, patient: Patient, reason: str = "") -> BreakGlassGrant:
    """Emergency access for ``staff`` to ``patient``, opened as the admin opens it."""
    from audit.services import break_glass_open

    return break_glass_open(
        staff=staff,
        patient_id=patient.pk,
        reason=reason or "Ticket 2077: the family cannot see this week's doses.",
    )


def work_tasks(limit: int = 100) -> list[Any]:
    """Run the queued background tasks that are due now, as ``manage.py db_worker``
    does (its own ``Worker.run_task``, without the process loop, which would close
    the test's connection); the finished task rows, in the order they ran."""
    from django.db import transaction
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test",
        excluded_queue_names=[],
    )
    finished: list[DBTaskResult] = []
    for _ in range(limit):
        with transaction.atomic():
            result = DBTaskResult.objects.ready().order_by("enqueued_at").get_locked()
            if result is None:
                return finished
            result.claim("test")
        worker.run_task(result)
        result.refresh_from_db()
        finished.append(result)
    raise AssertionError(f"more than {limit} tasks: one keeps queueing itself?")


# -- Browser (pytest-playwright with Debian's Chromium) ---------------------------


def browser_log_in(page: Any, base: str, email: str) -> None:
    """Log in through the login page, as a caregiver would."""
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(
            "Chromium is not installed (apt-get install chromium); .ci/run installs it, "
            "so CI never skips browser tests."
        )
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }
