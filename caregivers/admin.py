from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from audit.breakglass import PatientDataAdmin
from caregivers import services
from caregivers.models import CaregiverInvitation, InvitationStatus, PatientCaregiver


@admin.register(PatientCaregiver)
class PatientCaregiverAdmin(PatientDataAdmin):
    list_display = ["patient", "caregiver", "role", "is_active", "accepted_at"]
    list_filter = ["role", "is_active"]
    search_fields = ["patient__name", "caregiver__email", "caregiver__name"]
    autocomplete_fields = ["patient", "caregiver"]
    list_select_related = ["patient", "caregiver"]


@admin.register(CaregiverInvitation)
class CaregiverInvitationAdmin(PatientDataAdmin):
    """Staff may re-send or revoke; the token itself is never shown or editable."""

    list_display = ["email", "patient", "role", "status", "invited_by", "expires_at", "sent_at"]
    list_filter = ["status", "role", "expires_at"]
    search_fields = ["email", "patient__name", "invited_by__email"]
    readonly_fields = [
        "patient",
        "email",
        "role",
        "permissions",
        "invited_by",
        "status",
        "expires_at",
        "accepted_by",
        "accepted_at",
        "sent_at",
        "created_at",
        "updated_at",
    ]
    exclude = ["token_hash"]
    actions = ["resend", "revoke"]
    list_select_related = ["patient", "invited_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # invitations come from a primary caregiver's Team page

    @admin.action(description=_("Re-send the selected invitations (a new link)"))
    def resend(self, request: HttpRequest, queryset: QuerySet[CaregiverInvitation]) -> None:
        sent = 0
        for invitation in queryset.filter(
            status__in=[InvitationStatus.PENDING, InvitationStatus.EXPIRED]
        ):
            services.invitation_resend_by_staff(invitation=invitation)
            sent += 1
        self.message_user(
            request, _("%(count)s invitation(s) re-sent.") % {"count": sent}, messages.SUCCESS
        )

    @admin.action(description=_("Revoke the selected invitations"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[CaregiverInvitation]) -> None:
        count = queryset.filter(status=InvitationStatus.PENDING).update(
            status=InvitationStatus.REVOKED
        )
        self.message_user(
            request, _("%(count)s invitation(s) revoked.") % {"count": count}, messages.SUCCESS
        )
