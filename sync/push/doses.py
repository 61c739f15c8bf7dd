"""Doses recorded offline: once, at the time given, never over someone else's record."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import User
from doses import services as doses
from doses.models import DoseStatus
from medications.models import Medication
from patients.models import Patient
from sync.pull import current
from sync.push.results import Item, ItemError, Result, conflict_for, result_for

#: A dose recorded offline may say when it was given, within these bounds.
CLOCK_SKEW = dt.timedelta(minutes=5)
OFFLINE_LIMIT = dt.timedelta(days=7)
EARLY_LIMIT = dt.timedelta(hours=12)


# -- Doses -------------------------------------------------------------------------------


def given_at(
    values: dict[str, Any], now: dt.datetime, scheduled: dt.datetime | None
) -> dt.datetime:
    at = values.get("taken_at") or now
    earliest = now - OFFLINE_LIMIT
    if scheduled is not None:
        earliest = max(earliest, scheduled - EARLY_LIMIT)
    if at > now + CLOCK_SKEW or at < earliest:
        raise ValidationError(
            {
                "taken_at": [
                    _(
                        "Give a time in the last 7 days, not in the future and not more "
                        "than 12 hours before the dose was due."
                    )
                ]
            }
        )
    return at


def record_dose(
    user: User, patient: Patient, item: Item, dose: Any, values: dict[str, Any], now: dt.datetime
) -> Result:
    status = values.get("status", dose.status)
    if status == dose.status and status in (DoseStatus.TAKEN, DoseStatus.SKIPPED):
        if dose.recorded_by_id != user.pk:
            return conflict_for(item, patient)  # someone else recorded it first
        if any(
            getattr(dose, name) != value
            for name, value in values.items()
            if name in ("taken_at", "skip_reason") and value not in (None, "")
        ):
            return conflict_for(item, patient)  # recorded otherwise already (another device)
        return result_for(item, patient, "unchanged")  # my own record, sent again
    try:
        if status == DoseStatus.TAKEN:
            at = given_at(values, now, dose.scheduled_for)
            doses.dose_take(patient=patient, actor=user, dose_id=dose.pk, now=at)
        elif status == DoseStatus.SKIPPED:
            reason = str(values.get("skip_reason", "")).strip()
            if not reason or len(reason) > 200:
                raise ValidationError(
                    {"skip_reason": [_("Say why it was skipped (at most 200 characters).")]}
                )
            doses.dose_skip(patient=patient, actor=user, dose_id=dose.pk, reason=reason, now=now)
        elif status == DoseStatus.PENDING:
            if dose.status in (DoseStatus.PENDING, DoseStatus.MISSED):
                return result_for(item, patient, "unchanged")
            _instance, version = current(item.entity, item.id)
            if item.base_version != version:
                return conflict_for(item, patient)  # undoing a record the client has not seen
            doses.dose_undo(patient=patient, actor=user, dose_id=dose.pk, now=now)
        else:
            raise ValidationError(
                {
                    "status": [
                        _("Send taken, skipped, or pending to undo (missed is the server's).")
                    ]
                }
            )
    except doses.AlreadyRecorded:
        return conflict_for(item, patient)
    return result_for(item, patient, "applied")


def create_dose(
    *, patient: Patient, actor: User, item: Item, values: dict[str, Any], now: dt.datetime
) -> None:
    medication_id = values.get("medication_id")
    if medication_id is None:
        raise ValidationError({"medication_id": [_("Say which as-needed medication was given.")]})
    if not Medication.objects.filter(pk=medication_id, patient=patient, is_prn=True).exists():
        raise ValidationError(
            {"medication_id": [_("Only as-needed doses are created by a client.")]}
        )
    at = given_at(values, now, None)
    try:
        doses.prn_dose_record(
            patient=patient,
            actor=actor,
            medication_id=medication_id,
            form_token=item.id,
            override_reason=values.get("override_reason", ""),
            now=at,
        )
    except doses.LimitReached as limit:
        raise ItemError(
            "limit_reached",
            _("Not yet: %(rule)s. The next dose is allowed at %(time)s.")
            % {"rule": limit.reason, "time": limit.next_allowed.isoformat()},
        ) from None
    except Medication.DoesNotExist:
        raise ValidationError({"medication_id": [_("This medication is not active.")]}) from None
