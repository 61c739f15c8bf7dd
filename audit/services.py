"""Writes to the access log (each one INSERT the app role may make but never read
back), and staff's emergency access grants, which are logged there too."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from audit.models import AccessLog, Action, BreakGlassGrant
from medtrack.net import client_address

if TYPE_CHECKING:
    from accounts.models import User
    from patients.models import Patient


def _client_ip(request: HttpRequest) -> str | None:
    return client_address(request) or None


def access_log_record(
    *,
    request: HttpRequest | None,
    action: str,
    actor: Any = None,
    patient_id: uuid.UUID | None = None,
    object_type: str = "",
    object_id: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    AccessLog.objects.create(
        actor=actor,
        action=action,
        patient_id=patient_id,
        object_type=object_type,
        object_id=str(object_id),
        path=request.path[:500] if request else "",
        ip_address=_client_ip(request) if request else None,
        user_agent=request.headers.get("User-Agent", "")[:500] if request else "",
        request_id=getattr(request, "request_id", "") if request else "",
        detail=detail or {},
    )


def access_log_forget_email(*, email: str, replacement: str) -> int:
    """Replace an e-mail address typed into failed sign-ins with ``replacement``:
    its account is being deleted (accounts.leaving). The one change ever made to
    the log, in system context (the app role cannot update it); the attempts
    themselves (when, from where) stay as security records."""
    from django.db import connection

    from medtrack.rls import system_context

    with system_context("account_delete"), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE access_log SET detail = jsonb_set(detail, '{email}', to_jsonb(%s::text)) "
            "WHERE action = 'login_failed' AND lower(detail ->> 'email') = lower(%s)",
            [replacement, email],
        )
        return cursor.rowcount


# -- Emergency ("break-glass") access --------------------------------------------------


@transaction.atomic
def break_glass_open(
    *,
    staff: User,
    patient_id: uuid.UUID,
    reason: str,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> BreakGlassGrant:
    """Give ``staff`` access to one patient's data in the admin for
    ``BREAK_GLASS_MINUTES``: the grant, its ``break_glass`` access-log row (the
    family's Activity page shows it) and a notice to each active primary caregiver.

    Raises ValidationError for an unknown patient, a reason that is not a
    sentence, or a grant already open for this patient; PermissionDenied for
    anyone but staff.
    """
    from medtrack.rls import system_context
    from patients.models import Patient

    if not staff.is_staff:
        raise PermissionDenied
    now = now or timezone.now()
    with system_context(f"break_glass:{staff.pk}"):
        patient = Patient.objects.filter(pk=patient_id).first()
        if patient is None:
            raise ValidationError(
                {"patient_id": _("No patient has this id. Check it against the ticket.")},
                code="unknown_patient",
            )
        held = BreakGlassGrant.objects.active(now).filter(staff=staff, patient=patient).first()
        if held is not None:
            raise ValidationError(
                _("You already have emergency access to this patient until %(until)s.")
                % {"until": date_format(timezone.localtime(held.expires_at), "DATETIME_FORMAT")},
                code="already_open",
            )
        grant = BreakGlassGrant(
            staff=staff,
            patient=patient,
            reason=" ".join(reason.split()),
            created_at=now,
            expires_at=now + dt.timedelta(minutes=settings.BREAK_GLASS_MINUTES),
        )
        grant.full_clean()
        grant.save(force_insert=True)
        access_log_record(
            request=request,
            action=Action.BREAK_GLASS,
            actor=staff,
            patient_id=patient.pk,
            object_type="break_glass_grant",
            object_id=str(grant.pk),
            detail={
                "event": "opened",
                "reason": grant.reason,
                "expires_at": grant.expires_at.isoformat(),
            },
        )
        _tell_primaries(grant, patient, now)
    return grant


def _tell_primaries(grant: BreakGlassGrant, patient: Patient, now: dt.datetime) -> None:
    """Each active primary caregiver hears at once, in the app and by e-mail (the
    e-mail leaves the reason out: it may name health details)."""
    # Imported here: notifications reaches most apps, several of which log access.
    from caregivers.models import PatientCaregiver
    from notifications.models import Type
    from notifications.services import local_when, notify

    primaries = PatientCaregiver.objects.filter(
        patient=patient, role="primary", is_active=True, caregiver__is_active=True
    ).values_list("caregiver_id", flat=True)
    notify(
        list(primaries),
        type=Type.BREAK_GLASS,
        key=f"break_glass:{grant.pk}",
        title=lambda: (
            _("MedTrack staff opened emergency access to %(name)s's record")
            % {"name": patient.name}
        ),
        body=lambda: (
            _("“%(reason)s” Access ends %(until)s; the Activity page shows what they look at.")
            % {"reason": grant.reason, "until": local_when(grant.expires_at, patient.zone)}
        ),
        url=reverse("audit:activity", args=[patient.pk]),
        patient=patient,
        data={"grant_id": str(grant.pk), "at": grant.expires_at.isoformat()},
        now=now,
    )


@transaction.atomic
def break_glass_end(
    *,
    grants: Iterable[BreakGlassGrant],
    actor: User,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> int:
    """End these grants now (those still in force); each end is logged. How many ended."""
    from medtrack.rls import system_context

    if not actor.is_staff:
        raise PermissionDenied
    now = now or timezone.now()
    with system_context(f"break_glass_end:{actor.pk}"):
        ending = list(
            BreakGlassGrant.objects.active(now)
            .filter(pk__in=[grant.pk for grant in grants])
            .select_for_update()
            .order_by("created_at")
        )
        BreakGlassGrant.objects.filter(pk__in=[grant.pk for grant in ending]).update(
            ended_at=now, ended_by=actor
        )
        for grant in ending:
            access_log_record(
                request=request,
                action=Action.BREAK_GLASS,
                actor=actor,
                patient_id=grant.patient_id,
                object_type="break_glass_grant",
                object_id=str(grant.pk),
                detail={"event": "ended", "expires_at": grant.expires_at.isoformat()},
            )
    return len(ending)
