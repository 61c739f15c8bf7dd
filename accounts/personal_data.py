"""Download my data: one JSON document with everything MedTrack keeps about a person.

Read as that person, under row level security: what they recorded for a family
they are no longer on is that family's record now and is not included (nor is
anything of other families). Their sign-in history comes from the access log,
which the app role cannot read: only their own rows, in system context.

Written section by section to a file-like object, each table in one query
whose rows are fetched in chunks (a server-side cursor), so memory and the
number of queries stay the same with ten rows or a hundred thousand.
``docs/security.md`` ("Leaving MedTrack") describes the shape.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any
from uuid import UUID

from django.db.models import Model, OuterRef, Q, QuerySet, Subquery

from accounts.models import ApiToken, FormDraft, User, UserSettings
from accounts.services import avatar_path
from appointments.models import Appointment
from audit.models import AccessLog, Action
from caregivers.models import CaregiverInvitation, PatientCaregiver
from doses.models import Dose
from exports.data import COLUMNS
from exports.models import ExportJob
from files.models import File, FileShare
from journal.models import DailyLog
from measurements.models import Measurement, MeasurementThreshold
from medications.models import Medication
from medtrack.rls import system_context
from notifications.models import Notification, NotificationPreferences
from patients.models import Patient
from sync.models import SyncLog

FORMAT = "medtrack-personal-data"
#: The version of the document's shape; a change that is not only additive bumps it.
VERSION = 1
CHUNK = 500


@dataclass
class Written:
    """What went into the document: rows per section (for the access log)."""

    rows: dict[str, int] = field(default_factory=dict)
    #: The person's time zone (for the file's date).
    timezone: str = "UTC"

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def plain(value: Any) -> Any:
    """A value as JSON: times ISO 8601 in UTC, amounts as decimal strings."""
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, UUID):
        return str(value)
    return value


#: Each section's columns, in order (the document's documented shape). Recorded
#: rows take the export's columns (docs/exports.md) plus the patient and dates.
FIELDS: dict[str, list[str]] = {
    "api_tokens": [  # metadata only: never the secret's hash
        "id", "name", "scopes", "created_at", "last_used_at", "expires_at", "revoked_at",
    ],
    "sync_log": [
        "created_at", "direction", "client_id", "token_id", "items", "applied", "conflicts",
        "errors_count", "status", "duration_ms",
    ],
    "notifications": [
        "id", "type", "patient_id", "title", "body", "url", "data", "read_at", "emailed_at",
        "created_at",
    ],
    "memberships": [
        "patient_id", "patient_name", "role", "permissions", "is_active", "accepted_at",
        "created_at", "updated_at",
    ],
    "form_drafts": ["path", "data", "created_at"],
    "patients": ["id", "name", "created_at", "is_deleted"],
    "medications": ["patient_id", "patient_name", *COLUMNS["medications"], "created_at"],
    "doses": [
        "patient_id", "patient_name", "medication_name", *COLUMNS["doses"], "updated_at",
    ],
    "measurements": [
        "patient_id", "patient_name", *COLUMNS["measurements"], "source", "created_at",
    ],
    "measurement_targets": [
        "patient_id", "patient_name", "type", "min_value", "max_value", "min_secondary",
        "max_secondary", "is_active", "updated_at",
    ],
    "journal": [
        "patient_id", "patient_name", *COLUMNS["daily_logs"], "created_at", "updated_at",
    ],
    "appointments": [
        "patient_id", "patient_name", *COLUMNS["appointments"], "created_at",
        "created_by_id", "escort_id",
    ],
    "files": ["patient_id", "patient_name", *COLUMNS["files"], "original_name", "note"],
    "file_shares": [
        "id", "file_id", "file_name", "created_at", "expires_at", "revoked_at",
        "shared_by_id", "shared_with_id",
    ],
    "invitations": [
        "id", "patient_id", "patient_name", "email", "role", "status", "created_at", "sent_at",
        "expires_at", "accepted_at", "invited_by_id", "accepted_by_id",
    ],
    "exports": [
        "id", "patient_id", "patient_name", "format", "date_from", "date_to", "status",
        "created_at", "completed_at", "expires_at",
    ],
}  # fmt: skip

Rows = QuerySet[Any, dict[str, Any]]


def _name_of(model: type[Model], column: str = "patient_id", name: str = "name") -> Subquery:
    """The name of the row's patient (or medication, file), or null where it is
    not visible: a subquery, not a join, so such rows are not dropped."""
    return Subquery(model._default_manager.filter(pk=OuterRef(column)).values(name)[:1])


def _rows(queryset: QuerySet[Any], section: str, *order: str) -> Rows:
    if "patient_name" in FIELDS[section]:
        queryset = queryset.annotate(patient_name=_name_of(Patient))
    return queryset.values(*FIELDS[section]).order_by(*order, "id")


def personal(user: User) -> dict[str, Rows]:
    """Rows that are only ``user``'s, one query per table."""
    return {
        "api_tokens": _rows(ApiToken.objects.filter(user=user), "api_tokens", "created_at"),
        "sync_log": _rows(SyncLog.objects.filter(user=user), "sync_log", "created_at"),
        "notifications": _rows(
            Notification.objects.filter(user=user), "notifications", "created_at"
        ),
        "memberships": _rows(
            PatientCaregiver.objects.filter(caregiver=user), "memberships", "created_at"
        ),
        "form_drafts": _rows(FormDraft.objects.filter(user=user), "form_drafts", "created_at"),
    }


def recorded(user: User) -> dict[str, Rows]:
    """What ``user`` wrote into the families' records, one query per table
    (row level security keeps it to patients they can still see)."""
    doses = Dose.objects.filter(recorded_by=user).annotate(
        medication_name=_name_of(Medication, "medication_id")
    )
    shares = FileShare.objects.filter(Q(shared_by=user) | Q(shared_with=user)).annotate(
        file_name=_name_of(File, "file_id", "file_name")
    )
    invitations = CaregiverInvitation.objects.filter(Q(invited_by=user) | Q(accepted_by=user))
    return {
        "patients": _rows(Patient.objects.filter(created_by=user), "patients", "created_at"),
        "medications": _rows(
            Medication.objects.filter(created_by=user), "medications", "created_at"
        ),
        "doses": _rows(doses, "doses", "taken_at", "scheduled_for"),
        "measurements": _rows(
            Measurement.objects.filter(recorded_by=user), "measurements", "measured_at"
        ),
        "measurement_targets": _rows(
            MeasurementThreshold.objects.filter(updated_by=user),
            "measurement_targets",
            "updated_at",
        ),
        "journal": _rows(DailyLog.objects.filter(created_by=user), "journal", "log_date"),
        "appointments": _rows(
            Appointment.objects.filter(Q(created_by=user) | Q(escort=user)),
            "appointments",
            "starts_at",
        ),
        "files": _rows(File.objects.documents().filter(uploaded_by=user), "files", "uploaded_at"),
        "file_shares": _rows(shares, "file_shares", "created_at"),
        "invitations": _rows(invitations, "invitations", "created_at"),
        "exports": _rows(ExportJob.objects.filter(requested_by=user), "exports", "created_at"),
    }


#: Who-columns, said as what they mean to the reader (never other people's ids).
_YOURS = {
    "appointments": {"created_by_id": "added_by_you", "escort_id": "you_take_them"},
    "file_shares": {"shared_by_id": "shared_by_you", "shared_with_id": "shared_with_you"},
    "invitations": {"invited_by_id": "sent_by_you", "accepted_by_id": "answered_by_you"},
}


def _yours(section: str, row: dict[str, Any], user: User) -> dict[str, Any]:
    for column, said in _YOURS.get(section, {}).items():
        row[said] = row.pop(column) == user.pk
    return row


def _two_factor(user: User) -> Iterator[dict[str, Any]]:
    """Each two-step device's kind and name, never its key or codes (a query per kind)."""
    from django_otp import device_classes

    for model in device_classes():
        names = {field.name for field in model._meta.get_fields()}
        columns = [
            "id",
            "name",
            "confirmed",
            *(c for c in ("created_at", "last_used_at") if c in names),
        ]
        for row in model.objects.filter(user=user).values(*columns).order_by("id"):
            yield {"kind": model._meta.model_name, **row}


def _sign_ins(user: User) -> Iterator[Mapping[str, Any]]:
    """Their own sign-ins and sign-outs: the access log's rows with them as the actor."""
    with system_context(f"personal_data:{user.pk}"):
        rows = (
            AccessLog.objects.filter(actor=user, action__in=[Action.LOGIN, Action.LOGOUT])
            .values("occurred_at", "action", "ip_address", "user_agent")
            .order_by("occurred_at", "id")
        )
        yield from rows.iterator(chunk_size=CHUNK)


def _account(user: User) -> dict[str, Any]:
    return {
        "id": user.pk,
        "name": user.name,
        "email": user.email,
        "role": user.role,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
        "last_login": user.last_login,
        "picture": _picture(user),
    }


def _picture(user: User) -> dict[str, str] | None:
    """The profile picture itself (a small WebP), so the document is complete."""
    if not user.avatar_url:
        return None
    from django.core.files.storage import default_storage

    try:
        with default_storage.open(avatar_path(user), "rb") as handle:
            content = handle.read()
    except FileNotFoundError:
        return None
    return {"media_type": "image/webp", "base64": base64.b64encode(content).decode("ascii")}


def _settings(user: User) -> Mapping[str, Any] | None:
    return (
        UserSettings.objects.filter(user=user)
        .values("timezone", "units", "language", "updated_at")
        .first()
    )


def _preferences(user: User) -> Mapping[str, Any] | None:
    """Their notification choices; null when they never changed the defaults."""
    return (
        NotificationPreferences.objects.filter(user=user)
        .values("email_enabled", "channels", "quiet_hours_start", "quiet_hours_end", "updated_at")
        .first()
    )


class _Writer:
    """Writes nested JSON objects key by key, each list one row per line."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        #: Per open object: is its next key the first one?
        self.stack: list[bool] = []

    def _raw(self, text: str) -> None:
        self.out.write(text.encode("utf-8"))

    def _key(self, key: str) -> None:
        separator = "\n" if self.stack[-1] else ",\n"
        self._raw(separator + "  " * len(self.stack) + json.dumps(key) + ": ")
        self.stack[-1] = False

    def open(self, key: str | None = None) -> None:
        if key is not None:
            self._key(key)
        self._raw("{")
        self.stack.append(True)

    def close(self) -> None:
        self.stack.pop()
        self._raw("\n" + "  " * len(self.stack) + "}")

    def value(self, key: str, value: Any) -> None:
        self._key(key)
        self._raw(json.dumps(plain(value), ensure_ascii=False))

    def rows(self, key: str, rows: Iterable[Mapping[str, Any]]) -> int:
        self._key(key)
        self._raw("[")
        count = 0
        for row in rows:
            self._raw(("\n" if count == 0 else ",\n") + "  " * (len(self.stack) + 1))
            self._raw(json.dumps(plain(row), ensure_ascii=False))
            count += 1
        self._raw(("\n" + "  " * len(self.stack) if count else "") + "]")
        return count


def write(*, user: User, out: IO[bytes], now: dt.datetime) -> Written:
    """The whole document into ``out`` (as ``user``, inside their request's context)."""
    written = Written()
    writer = _Writer(out)
    writer.open()
    writer.value("format", FORMAT)
    writer.value("version", VERSION)
    writer.value("generated_at", now)
    writer.value("times", "ISO 8601, UTC")
    writer.value("account", _account(user))
    settings = _settings(user)
    written.timezone = settings["timezone"] if settings else "UTC"
    writer.value("settings", settings)
    writer.value("notification_preferences", _preferences(user))
    written.rows["two_factor_devices"] = writer.rows("two_factor_devices", _two_factor(user))
    for key, rows in personal(user).items():
        written.rows[key] = writer.rows(key, rows.iterator(chunk_size=CHUNK))
    written.rows["sign_ins"] = writer.rows("sign_ins", _sign_ins(user))
    writer.open("recorded")
    for key, rows in recorded(user).items():
        written.rows[key] = writer.rows(
            key, (_yours(key, row, user) for row in rows.iterator(chunk_size=CHUNK))
        )
    writer.close()
    writer.close()
    out.write(b"\n")
    return written
