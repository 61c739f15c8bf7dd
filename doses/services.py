"""Recording doses: one record per dose, whoever presses first (DESIGN.md "Rules").

Each write locks the dose row, so two caregivers pressing Taken together
produce one record and the second is told who recorded it and when.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from doses.models import Dose, DoseStatus
from medications.models import Medication
from medtrack.rls import system_context
from patients.access import Area, Level, require
from patients.models import Patient


class AlreadyRecorded(Exception):
    """Someone recorded this dose first; ``dose`` says who and when."""

    def __init__(self, dose: Dose) -> None:
        super().__init__(dose.pk)
        self.dose = dose


def _locked_dose(patient: Patient, dose_id: uuid.UUID) -> Dose:
    require(patient, Area.DOSES, Level.WRITE)
    # Scheduled doses only: as-needed doses are given with prn_dose_record.
    # The row alone, no join: after waiting for another caregiver's write,
    # PostgreSQL re-reads the locked row but not the rows joined to it, so a
    # joined recorded_by would be the one from before that write (nobody), and
    # the second caregiver would be told "recorded by someone".
    return Dose.objects.select_for_update().get(
        pk=dose_id, patient=patient, scheduled_for__isnull=False
    )


def _stock(medication_id: uuid.UUID, change: Decimal) -> None:
    Medication.objects.filter(pk=medication_id, quantity_on_hand__isnull=False).update(
        quantity_on_hand=F("quantity_on_hand") + change
    )


@transaction.atomic
def dose_take(
    *, patient: Patient, actor: User, dose_id: uuid.UUID, now: dt.datetime | None = None
) -> Dose:
    """Record a dose as taken now (a missed dose may still be taken: it counts, late)."""
    dose = _locked_dose(patient, dose_id)
    if dose.status in (DoseStatus.TAKEN, DoseStatus.SKIPPED):
        raise AlreadyRecorded(dose)
    now = now or timezone.now()
    Dose.objects.filter(pk=dose.pk).update(
        status=DoseStatus.TAKEN, taken_at=now, recorded_by=actor, skip_reason="", updated_at=now
    )
    _stock(dose.medication_id, -dose.amount)
    return Dose.objects.select_related("medication", "recorded_by").get(pk=dose.pk)


@transaction.atomic
def dose_skip(
    *,
    patient: Patient,
    actor: User,
    dose_id: uuid.UUID,
    reason: str,
    now: dt.datetime | None = None,
) -> Dose:
    """Record that a dose was not given, and why (a skip on the doctor's advice
    is not negligence)."""
    dose = _locked_dose(patient, dose_id)
    if dose.status in (DoseStatus.TAKEN, DoseStatus.SKIPPED):
        raise AlreadyRecorded(dose)
    now = now or timezone.now()
    Dose.objects.filter(pk=dose.pk).update(
        status=DoseStatus.SKIPPED,
        taken_at=None,
        recorded_by=actor,
        skip_reason=reason.strip(),
        updated_at=now,
    )
    return Dose.objects.select_related("medication", "recorded_by").get(pk=dose.pk)


@transaction.atomic
def dose_undo(
    *, patient: Patient, actor: User, dose_id: uuid.UUID, now: dt.datetime | None = None
) -> Dose:
    """Take back a Taken or Skip (the stock goes back too); the history keeps both."""
    dose = _locked_dose(patient, dose_id)
    now = now or timezone.now()
    if dose.status == DoseStatus.TAKEN:
        _stock(dose.medication_id, dose.amount)
    if dose.status in (DoseStatus.TAKEN, DoseStatus.SKIPPED):
        overdue = dose.scheduled_for is not None and dose.scheduled_for < now - missed_after()
        Dose.objects.filter(pk=dose.pk).update(
            status=DoseStatus.MISSED if overdue else DoseStatus.PENDING,
            taken_at=None,
            recorded_by=None,
            skip_reason="",
            updated_at=now,
        )
    return Dose.objects.select_related("medication", "recorded_by").get(pk=dose.pk)


def late_after() -> dt.timedelta:
    return dt.timedelta(minutes=settings.DOSE_LATE_MINUTES)


def missed_after() -> dt.timedelta:
    return dt.timedelta(hours=settings.DOSE_MISSED_HOURS)


def doses_sweep_missed(*, now: dt.datetime) -> int:
    """Pending doses older than the missed window become missed, once (a periodic job)."""
    with system_context("sweep_missed_doses"):
        return Dose.objects.filter(
            status=DoseStatus.PENDING, scheduled_for__lt=now - missed_after()
        ).update(status=DoseStatus.MISSED, updated_at=now)


class LimitReached(Exception):
    """An as-needed dose now would break its limits; ``next_allowed`` says when it won't."""

    def __init__(self, next_allowed: dt.datetime, reason: str) -> None:
        super().__init__(reason)
        self.next_allowed = next_allowed
        self.reason = reason


def prn_next_allowed(
    medication: Medication, now: dt.datetime, given: list[dt.datetime] | None = None
) -> tuple[dt.datetime | None, str]:
    """When the next as-needed dose is allowed, and which limit says so (None: now).

    The 24 hours are a sliding window of real time (not a calendar day), so
    midnight and DST changes move nothing. ``given``: the doses taken in the
    last 24 hours, when the caller has them already.
    """
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    window = now - dt.timedelta(hours=24)
    if given is None:
        given = [
            at
            for at in Dose.objects.filter(
                medication=medication,
                schedule__isnull=True,
                status=DoseStatus.TAKEN,
                taken_at__gt=window,
            ).values_list("taken_at", flat=True)
            if at is not None
        ]
    given = sorted(at for at in given if at > window)
    candidates: list[tuple[dt.datetime, str]] = []
    limit = medication.prn_max_per_day
    if limit and len(given) >= limit:
        rule = ngettext(
            "at most %(n)s dose in 24 hours", "at most %(n)s doses in 24 hours", limit
        ) % {"n": limit}
        candidates.append((given[len(given) - limit] + dt.timedelta(hours=24), rule))
    if medication.prn_min_interval_hours and given:
        gap = dt.timedelta(hours=float(medication.prn_min_interval_hours))
        if given[-1] + gap > now:
            candidates.append(
                (
                    given[-1] + gap,
                    _("at least %(h)s hours apart")
                    % {"h": medication.prn_min_interval_hours.normalize()},
                )
            )
    if not candidates:
        return None, ""
    return max(candidates)


@transaction.atomic
def prn_dose_record(
    *,
    patient: Patient,
    actor: User,
    medication_id: uuid.UUID,
    form_token: uuid.UUID | None = None,
    override_reason: str = "",
    now: dt.datetime | None = None,
) -> Dose:
    """Give an as-needed dose now, within its limits unless a primary overrides them.

    The medication row is locked, so two people giving a dose at once are
    counted one after the other; the form's token is the dose's id, so a
    double submit records one dose.
    """
    from django.utils.translation import gettext as _

    from medtrack.db import already, insert_once

    require(patient, Area.DOSES, Level.WRITE)
    now = now or timezone.now()
    medication = Medication.objects.select_for_update().get(
        pk=medication_id, patient=patient, is_prn=True, status="active"
    )
    mine = Dose.objects.filter(patient=patient)
    if form_token and Dose.objects.filter(pk=form_token).exists():
        raise already(form_token, mine)  # before the limits: a double tap is not a second dose
    next_allowed, reason = prn_next_allowed(medication, now)
    override_reason = override_reason.strip()
    if next_allowed is not None:
        if not override_reason:
            raise LimitReached(next_allowed, reason)
        require(patient, Area.PATIENT, Level.MANAGE)  # only a primary may override
    dose = Dose(
        id=form_token or uuid.uuid4(),
        patient=patient,
        medication=medication,
        status=DoseStatus.TAKEN,
        taken_at=now,
        amount=medication.dose_amount,
        recorded_by=actor,
        notes=_("Limit overridden: %(reason)s") % {"reason": override_reason}
        if next_allowed is not None
        else "",
    )
    insert_once(dose, mine=mine)
    _stock(medication.pk, -dose.amount)
    return dose
