"""The care team (plan §2 ``patient_caregivers``; DESIGN.md §B.8)."""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from medtrack import fields


class CaregiverRole(models.TextChoices):
    PRIMARY = "primary", _("Primary caregiver")
    SECONDARY = "secondary", _("Caregiver")
    VIEWER = "viewer", _("Viewer")


@pghistory.track()
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
