"""Leaving MedTrack: deleting one's own account (docs/security.md, "Leaving MedTrack").

The ``users`` row stays, because the family's records point at it (the plan's
foreign keys to ``users`` have no ON DELETE action; DESIGN.md "Deletes"); it is
scrubbed and deactivated instead, so what they recorded reads "Former
caregiver" and keeps its author's id. What was only theirs goes: settings,
tokens, notifications, sync log, two-step devices, sign-in counters, form
drafts and picture. They leave every care team through the team's own
"leave" service, so a patient is never left without a primary caregiver.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ApiToken, FormDraft, Role, User, UserSettings
from accounts.services import avatar_path
from audit import services as audit
from audit.models import Action
from caregivers import selectors as caregivers_selectors
from caregivers import services as caregivers
from caregivers.models import PatientCaregiver
from patients.models import Patient

#: What a deleted account is called wherever its records are shown.
FORMER_NAME = "Former caregiver"


def placeholder_email(user_id: uuid.UUID) -> str:
    """Unique (the id) and undeliverable (``.invalid`` is reserved, RFC 2606)."""
    return f"deleted-{user_id}@deleted.invalid"


class SolePrimary(ValidationError):
    """The account is the only primary caregiver of these patients (not deleted)."""

    def __init__(self, patients: list[Patient]) -> None:
        super().__init__(
            _(
                "You are the only primary caregiver of %(names)s. Make someone else "
                "primary or delete the patient first."
            )
            % {"names": ", ".join(patient.name for patient in patients)},
            code="sole_primary",
        )
        self.patients = patients


@dataclass
class Blockers:
    """What the delete page lists before the button."""

    #: Not deleted, no other primary: must be handed over or deleted first.
    sole_primary: list[Patient] = field(default_factory=list)
    #: Deleted, no other primary: nobody can restore them once the account is gone.
    deleted_sole_primary: list[Patient] = field(default_factory=list)


def blockers_for(user: User) -> Blockers:
    """One query (as the user, under row level security)."""
    found = Blockers()
    for patient in caregivers_selectors.sole_primary_of(user):
        (found.deleted_sole_primary if patient.is_deleted else found.sole_primary).append(patient)
    return found


def account_delete(
    *, user: User, request: HttpRequest | None = None, now: dt.datetime | None = None
) -> bool:
    """Delete ``user``'s account (as themselves); False if it was already deleted.

    One transaction. The row lock makes a second submit wait, then find the
    account already gone and do nothing. Raises ``SolePrimary`` while the user
    is the only primary of a patient that is not deleted (then nothing changes).
    """
    now = now or timezone.now()
    with transaction.atomic():
        account = User.objects.select_for_update().filter(pk=user.pk, is_active=True).first()
        if account is None:
            return False
        blocking = blockers_for(account).sole_primary
        if blocking:
            raise SolePrimary(blocking)
        email, had_picture = account.email, bool(account.avatar_url)
        revoked = caregivers.invitations_revoke_sent_by(user=account, now=now)
        left, kept = _leave_teams(account)
        _forget_personal_rows(account)
        replaced = audit.access_log_forget_email(
            email=email, replacement=placeholder_email(account.pk)
        )
        _scrub(account, now)
        audit.access_log_record(
            request=request,
            action=Action.ACCOUNT_DELETED,
            actor=account,
            object_type="account",
            object_id=str(account.pk),
            detail={
                "teams_left": left,
                "deleted_patients_kept": [str(patient.pk) for patient in kept],
                "invitations_revoked": revoked,
                "failed_sign_ins_scrubbed": replaced,
            },
        )
        if had_picture:
            # After the commit: a rolled-back deletion must not lose the picture.
            path = avatar_path(account)
            transaction.on_commit(lambda: _delete_stored(path))
    user.refresh_from_db()
    return True


def _leave_teams(user: User) -> tuple[int, list[Patient]]:
    """Leave each team with the team's own service (it locks the primaries, so a
    co-primary leaving at the same moment cannot leave a patient without one).

    A deleted patient whose only primary this is keeps the membership: nobody
    else may restore it anyway, and the purge removes it with its team.
    """
    memberships: QuerySet[PatientCaregiver] = PatientCaregiver.objects.filter(
        caregiver=user, is_active=True
    ).select_related("patient")
    left, kept = 0, []
    for membership in memberships:
        try:
            caregivers.member_leave(patient=membership.patient, actor=user)
        except caregivers.LastPrimary:
            if not membership.patient.is_deleted:
                # Someone else stepped down since the check above.
                raise SolePrimary([membership.patient]) from None
            kept.append(membership.patient)
        else:
            left += 1
    return left, kept


def _forget_personal_rows(user: User) -> None:
    """Rows that are only theirs. Each table's own service where it has one."""
    from notifications.services import notifications_forget
    from sync.services import sync_logs_forget

    notifications_forget(user=user)
    sync_logs_forget(user=user)
    # Their request counts go with them (ON DELETE CASCADE); sync logs were deleted above.
    ApiToken.objects.filter(user=user).delete()
    UserSettings.objects.filter(user=user).delete()
    FormDraft.objects.filter(user=user).delete()
    _forget_two_factor(user)
    _forget_sign_in_attempts(user.email)


def _forget_two_factor(user: User) -> None:
    """Every django-otp device (authenticator apps, backup codes with their codes)."""
    from django_otp import device_classes

    for model in device_classes():
        model.objects.filter(user=user).delete()


def _forget_sign_in_attempts(email: str) -> None:
    """django-axes' failure counters name the address typed. Not the user's own
    rows to row level security (they are keyed by what was typed), so in system
    context."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    from medtrack.rls import system_context

    with system_context("account_delete"):
        for model in (AccessAttempt, AccessFailureLog, AccessLog):
            model.objects.filter(username__iexact=email).delete()


def _scrub(user: User, now: dt.datetime) -> None:
    """No personal data left in ``users`` (and so in the ``profiles`` view)."""
    User.objects.filter(pk=user.pk).update(
        name=FORMER_NAME,
        email=placeholder_email(user.pk),
        password=make_password(None),  # unusable: no password can match it
        avatar_url=None,
        role=Role.CAREGIVER,
        is_active=False,
        is_superuser=False,
        last_login=None,
        updated_at=now,
    )
    user.groups.clear()
    user.user_permissions.clear()


def _delete_stored(path: str) -> None:
    from django.core.files.storage import default_storage

    default_storage.delete(path)
