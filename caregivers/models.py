"""The care team (plan §2 ``patient_caregivers``; DESIGN.md §B.8)."""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from medtrack import fields


class CaregiverRole(models.TextChoices):
    PRIMARY = "primary", _("Primary caregiver")
    SECONDARY = "secondary", _("Caregiver")
    VIEWER = "viewer", _("Viewer")


@pghistory.track(meta=fields.history_indexes("caregiver"))
class PatientCaregiver(models.Model):
    """A user's membership of a patient's care team.

    ``role`` sets what the member may do (``patients.access``); ``permissions``
    only narrows it per area, e.g. ``{"files": "none"}``. Inactive rows are
    former members: they see nothing of the patient, but the row keeps who
    they were for the history.
    """

    id = fields.uuid_pk()
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.DB_CASCADE,
        related_name="caregivers",
        verbose_name=_("patient"),
    )
    caregiver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_CASCADE,
        related_name="care_memberships",
        verbose_name=_("caregiver"),
    )
    role = models.TextField(_("role"), choices=CaregiverRole.choices)
    permissions = fields.JSONField(_("permissions"), default=dict, db_default={}, blank=True)
    is_active = fields.BooleanField(_("active"), default=True, db_default=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    created_at = fields.created_at(verbose_name=_("created"))
    updated_at = fields.updated_at(verbose_name=_("updated"))

    class Meta:
        db_table = "patient_caregivers"
        verbose_name = _("caregiver")
        verbose_name_plural = _("caregivers")
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "caregiver"],
                name="patient_caregivers_patient_id_caregiver_id_key",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=CaregiverRole.values),
                name="patient_caregivers_role_check",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.caregiver_id} → {self.patient_id} ({self.role})"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


@pghistory.track(meta=fields.history_indexes("invitation"))
class CaregiverInvitation(models.Model):
    """An e-mailed invitation to join a patient's care team (DESIGN.md §B.8).

    The raw token exists only in the e-mailed link; re-sending rotates it, so
    a link works once. Reading and accepting by token happens in system
    context, because the invitee is not on the team yet.
    """

    id = fields.uuid_pk()
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.DB_CASCADE,
        related_name="invitations",
        verbose_name=_("patient"),
    )
    email = models.TextField(_("e-mail"))
    role = models.TextField(_("role"), choices=CaregiverRole.choices)
    permissions = fields.JSONField(_("permissions"), default=dict, db_default={}, blank=True)
    token_hash = models.TextField(_("token hash"), unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        related_name="+",
        verbose_name=_("invited by"),
    )
    status = fields.TextField(
        _("status"),
        choices=InvitationStatus.choices,
        default=InvitationStatus.PENDING,
        db_default="pending",
    )
    expires_at = models.DateTimeField(_("expires"))
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    accepted_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("last sent"), null=True, blank=True)
    created_at = fields.created_at(verbose_name=_("created"))
    updated_at = fields.updated_at(verbose_name=_("updated"))

    class Meta:
        db_table = "caregiver_invitations"
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                "patient",
                Lower("email"),
                condition=models.Q(status="pending"),
                name="caregiver_invitations_one_pending_per_email",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=InvitationStatus.values),
                name="caregiver_invitations_status_check",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=CaregiverRole.values),
                name="caregiver_invitations_role_check",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.patient_id} ({self.status})"

    def is_open(self, now: object) -> bool:
        return self.status == InvitationStatus.PENDING and self.expires_at > now  # type: ignore[operator]
