"""Writes to care teams: invitations, roles and permissions, removing and leaving.

Team management needs the caregivers area at MANAGE (primaries); leaving
needs only membership. Invitations are read and answered by token in system
context, because the invitee is not on the team yet.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User, UserManager
from accounts.tokens import hash_secret
from caregivers import emails
from caregivers.models import (
    CaregiverInvitation,
    CaregiverRole,
    InvitationStatus,
    PatientCaregiver,
)
from medtrack.db import already, constraint_name
from medtrack.rls import system_context
from notifications.models import Type
from notifications.services import notify
from patients.access import Area, Level, level_for, require
from patients.models import Patient

#: Areas a primary may narrow for a member (DESIGN.md §B.8); values only lower the role's level.
NARROWABLE = (
    "medications",
    "doses",
    "measurements",
    "logs",
    "appointments",
    "files",
    "exports",
    "caregivers",  # e.g. a visiting nurse need not see the family's e-mail addresses
)
NARROWING = ("read", "none")


class LastPrimary(ValidationError):
    def __init__(self) -> None:
        super().__init__(
            _(
                "A care team needs at least one primary caregiver. Make someone else "
                "primary first."
            ),
            code="last_primary",
        )


def membership_bootstrap(*, patient: Patient, actor: User) -> PatientCaregiver:
    """Make a patient's creator its first primary caregiver.

    The database allows this row only while the patient has no caregiver and
    was created by the acting user (``rls_may_bootstrap``).
    """
    return PatientCaregiver.objects.create(
        patient=patient,
        caregiver=actor,
        role=CaregiverRole.PRIMARY,
        accepted_at=timezone.now(),
    )


def clean_permissions(permissions: dict[str, Any] | None) -> dict[str, str]:
    """Keep only known areas narrowed to a known, lower level."""
    return {
        area: value
        for area, value in (permissions or {}).items()
        if area in NARROWABLE and value in NARROWING
    }


# -- Invitations ---------------------------------------------------------------------


def _new_token() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def invitation_create(
    *,
    patient: Patient,
    actor: User,
    email: str,
    role: str,
    permissions: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
    form_token: uuid.UUID | None = None,
) -> CaregiverInvitation:
    """Invite ``email`` to the team; the e-mail goes out when the transaction commits.
    The form's token becomes the invitation's id: a double submit sends one
    (``AlreadyCreated``), checked before the one-pending-per-address rule."""
    require(patient, Area.CAREGIVERS, Level.MANAGE)
    if form_token and CaregiverInvitation.objects.filter(pk=form_token).exists():
        raise already(form_token, CaregiverInvitation.objects.filter(patient=patient))
    now = now or timezone.now()
    email = UserManager.normalize_email(email)
    if PatientCaregiver.objects.filter(
        patient=patient, caregiver__email=email, is_active=True
    ).exists():
        raise ValidationError(_("%(email)s is already on the care team.") % {"email": email})
    token = _new_token()
    invitation = CaregiverInvitation(
        id=form_token or uuid.uuid4(),
        patient=patient,
        email=email,
        role=role,
        permissions=clean_permissions(permissions) if role != CaregiverRole.PRIMARY else {},
        token_hash=hash_secret(token),
        invited_by=actor,
        expires_at=now + dt.timedelta(days=settings.INVITATION_VALID_DAYS),
        sent_at=now,
    )
    invitation.full_clean(exclude=["token_hash"], validate_constraints=False)
    try:
        with transaction.atomic():
            invitation.save(force_insert=True)
    except IntegrityError as error:
        if constraint_name(error) == "caregiver_invitations_one_pending_per_email":
            raise ValidationError(
                _("%(email)s has already been invited. You can re-send that invitation below.")
                % {"email": email},
                code="already_invited",
            ) from None
        raise
    transaction.on_commit(lambda: emails.send_invitation(invitation, token, patient, actor))
    _tell_invited(invitation, patient, actor)
    return invitation


def _tell_invited(invitation: CaregiverInvitation, patient: Patient, actor: User) -> None:
    """Someone invited who already has an account also hears in the app. Not yet
    on the team: the note names the patient's first name only, and the link with
    its secret stays in the e-mail."""
    invited = User.objects.filter(email__iexact=invitation.email, is_active=True)
    notify(
        invited.values_list("pk", flat=True),
        type=Type.CAREGIVER_INVITED,
        key=f"caregiver_invited:{invitation.pk}:{invitation.sent_at:%Y%m%dT%H%M%S}",
        title=lambda: (
            _("%(inviter)s invited you to help care for %(name)s")
            % {"inviter": actor.name, "name": patient.first_name}
        ),
        body=lambda: (
            _("Open the link in the e-mail sent to %(email)s to accept or decline.")
            % {"email": invitation.email}
        ),
        data={"first_name": patient.first_name},
        now=invitation.sent_at,
    )


@transaction.atomic
def invitation_resend(
    *,
    invitation: CaregiverInvitation,
    patient: Patient,
    actor: User,
    now: dt.datetime | None = None,
) -> None:
    """Send a fresh link (the old one stops working) and restart the validity period."""
    require(patient, Area.CAREGIVERS, Level.MANAGE)
    _resend(invitation, patient, actor, now or timezone.now())


def invitation_resend_by_staff(*, invitation: CaregiverInvitation) -> None:
    """Staff re-send from the admin (already in system context), in the inviter's name."""
    _resend(invitation, invitation.patient, invitation.invited_by, timezone.now())


def _resend(
    invitation: CaregiverInvitation, patient: Patient, actor: User, now: dt.datetime
) -> None:
    # Locked, so a re-send racing an accept cannot reopen an accepted invitation.
    invitation = CaregiverInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status not in (InvitationStatus.PENDING, InvitationStatus.EXPIRED):
        raise ValidationError(_("This invitation was already answered or revoked."))
    token = _new_token()
    try:
        with transaction.atomic():
            CaregiverInvitation.objects.filter(pk=invitation.pk).update(
                token_hash=hash_secret(token),
                status=InvitationStatus.PENDING,
                expires_at=now + dt.timedelta(days=settings.INVITATION_VALID_DAYS),
                sent_at=now,
                updated_at=now,
            )
    except IntegrityError as error:
        if constraint_name(error) != "caregiver_invitations_one_pending_per_email":
            raise
        raise ValidationError(
            _("%(email)s has a newer invitation waiting; re-send that one.")
            % {"email": invitation.email}
        ) from None
    invitation.refresh_from_db()
    transaction.on_commit(lambda: emails.send_invitation(invitation, token, patient, actor))
    _tell_invited(invitation, patient, actor)


@transaction.atomic
def invitation_revoke(*, invitation: CaregiverInvitation, patient: Patient, actor: User) -> None:
    require(patient, Area.CAREGIVERS, Level.MANAGE)
    CaregiverInvitation.objects.filter(pk=invitation.pk, status=InvitationStatus.PENDING).update(
        status=InvitationStatus.REVOKED, updated_at=timezone.now()
    )


@dataclass
class InvitationView:
    """What the invitation landing page may show about an invitation found by token."""

    invitation: CaregiverInvitation
    patient_name: str
    inviter_name: str
    expired: bool


def invitation_for_token(token: str, *, now: dt.datetime | None = None) -> InvitationView | None:
    """Find an invitation by the token in its link (system context: not on the team yet)."""
    now = now or timezone.now()
    with system_context("invitation:read"):
        invitation = (
            CaregiverInvitation.objects.select_related("patient", "invited_by")
            .filter(token_hash=hash_secret(token), patient__is_deleted=False)
            .first()
        )
    if invitation is None:
        return None
    return InvitationView(
        invitation=invitation,
        patient_name=invitation.patient.name,
        inviter_name=invitation.invited_by.name,
        expired=invitation.status == InvitationStatus.PENDING and invitation.expires_at <= now,
    )


def _open_invitation(token: str, user: User, now: dt.datetime) -> CaregiverInvitation:
    invitation = (
        CaregiverInvitation.objects.select_for_update(of=("self",))
        .select_related("patient")
        .filter(token_hash=hash_secret(token))
        .first()
    )
    if invitation is None or not invitation.is_open(now) or invitation.patient.is_deleted:
        raise ValidationError(_("This invitation can no longer be used."), code="closed")
    if invitation.email != user.email:
        raise PermissionDenied
    return invitation


def invitation_accept(*, token: str, user: User, now: dt.datetime | None = None) -> Patient:
    """Join the team as invited. Locked, so a link works once even if pressed twice."""
    now = now or timezone.now()
    with system_context(f"invitation:accept:{user.pk}"):
        invitation = _open_invitation(token, user, now)
        membership = PatientCaregiver.objects.filter(
            patient_id=invitation.patient_id, caregiver=user
        ).first()
        if membership is None:
            PatientCaregiver.objects.create(
                patient_id=invitation.patient_id,
                caregiver=user,
                role=invitation.role,
                permissions=invitation.permissions,
                accepted_at=now,
            )
        elif not membership.is_active:
            # Someone who left and is invited back gets the new role.
            PatientCaregiver.objects.filter(pk=membership.pk).update(
                role=invitation.role,
                permissions=invitation.permissions,
                is_active=True,
                accepted_at=now,
                updated_at=now,
            )
        CaregiverInvitation.objects.filter(pk=invitation.pk).update(
            status=InvitationStatus.ACCEPTED, accepted_by=user, accepted_at=now, updated_at=now
        )
        _tell_managers(invitation, user, now)
        return invitation.patient


def _tell_managers(invitation: CaregiverInvitation, newcomer: User, now: dt.datetime) -> None:
    """ "Ana joined Rosa's care team" to those who manage the team."""
    patient = invitation.patient
    members = PatientCaregiver.objects.filter(patient=patient, is_active=True).exclude(
        caregiver=newcomer
    )
    notify(
        [
            member.caregiver_id
            for member in members
            if level_for(member.role, member.permissions, Area.CAREGIVERS) >= Level.MANAGE
        ],
        type=Type.CAREGIVER_JOINED,
        key=f"caregiver_joined:{invitation.pk}",
        title=lambda: (
            _("%(person)s joined the care team of %(name)s")
            % {"person": newcomer.name, "name": patient.name}
        ),
        body=lambda: _("Their role: %(role)s.") % {"role": invitation.get_role_display()},
        url=reverse("caregivers:team", args=[patient.pk]),
        patient=patient,
        now=now,
    )


def invitation_decline(*, token: str, user: User, now: dt.datetime | None = None) -> None:
    now = now or timezone.now()
    with system_context(f"invitation:decline:{user.pk}"):
        invitation = _open_invitation(token, user, now)
        CaregiverInvitation.objects.filter(pk=invitation.pk).update(
            status=InvitationStatus.DECLINED, accepted_by=user, accepted_at=now, updated_at=now
        )


def invitations_expire(*, now: dt.datetime, dry_run: bool = False) -> int:
    """Mark pending invitations past their date as expired (a job; idempotent).
    ``dry_run`` counts them instead."""
    with system_context("expire_invitations"):
        due = CaregiverInvitation.objects.filter(
            status=InvitationStatus.PENDING, expires_at__lte=now
        )
        if dry_run:
            return due.count()
        return due.update(status=InvitationStatus.EXPIRED, updated_at=now)


# -- Members ---------------------------------------------------------------------------


def _lock_active_primaries(patient: Patient) -> list[PatientCaregiver]:
    # Row locks serialise concurrent changes to the primaries: a second
    # transaction waits, then re-reads who is still primary.
    return list(
        PatientCaregiver.objects.select_for_update()
        .filter(patient=patient, role=CaregiverRole.PRIMARY, is_active=True)
        .order_by("pk")
    )


@transaction.atomic
def member_update(
    *,
    patient: Patient,
    actor: User,
    member: PatientCaregiver,
    role: str,
    permissions: dict[str, Any] | None,
) -> None:
    """Change a member's role and narrowed permissions (primaries only)."""
    require(patient, Area.CAREGIVERS, Level.MANAGE)
    primaries = _lock_active_primaries(patient)
    if actor.pk not in {p.caregiver_id for p in primaries}:
        raise PermissionDenied  # demoted meanwhile
    demoting = member.role == CaregiverRole.PRIMARY and role != CaregiverRole.PRIMARY
    if demoting and [p.pk for p in primaries] == [member.pk]:
        raise LastPrimary
    PatientCaregiver.objects.filter(pk=member.pk, is_active=True).update(
        role=role,
        permissions=clean_permissions(permissions) if role != CaregiverRole.PRIMARY else {},
        updated_at=timezone.now(),
    )


@transaction.atomic
def member_remove(*, patient: Patient, actor: User, member: PatientCaregiver) -> None:
    """Take someone off the team (primaries only); their history stays."""
    require(patient, Area.CAREGIVERS, Level.MANAGE)
    _deactivate(patient, member)


@transaction.atomic
def member_leave(*, patient: Patient, actor: User) -> None:
    """Leave a patient's care team; anyone may, except its last primary."""
    member = PatientCaregiver.objects.get(patient=patient, caregiver=actor, is_active=True)
    _deactivate(patient, member)


def _deactivate(patient: Patient, member: PatientCaregiver) -> None:
    primaries = _lock_active_primaries(patient)
    if member.role == CaregiverRole.PRIMARY and [p.pk for p in primaries] == [member.pk]:
        raise LastPrimary
    PatientCaregiver.objects.filter(pk=member.pk).update(
        is_active=False, updated_at=timezone.now()
    )


def invitations_revoke_sent_by(*, user: User, now: dt.datetime) -> int:
    """Stop the invitations ``user`` sent that nobody answered yet: they are
    deleting their account, and an invitation should not outlive the person
    who vouched for it (a primary can invite again). System context: they may
    no longer manage those teams."""
    with system_context(f"account_delete:{user.pk}"):
        return CaregiverInvitation.objects.filter(
            invited_by=user, status=InvitationStatus.PENDING
        ).update(status=InvitationStatus.REVOKED, updated_at=now)
