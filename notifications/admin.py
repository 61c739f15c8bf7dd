from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from audit.breakglass import PatientDataAdmin
from notifications import services
from notifications.models import Notification, NotificationPreferences, Type


@admin.register(Notification)
class NotificationAdmin(PatientDataAdmin):
    """A notification about a patient needs emergency access to that patient; so do
    those that name a patient or a file without linking one (invitations, shares).
    Our own messages (``system``) do not."""

    also_visible = Q(patient__isnull=True, type=Type.SYSTEM)
    list_display = ["created_at", "user", "type", "title", "patient", "read_at", "emailed_at"]
    list_filter = ["type", "read_at", "emailed_at", "created_at"]
    search_fields = ["title", "user__email", "patient__name"]
    date_hierarchy = "created_at"
    list_select_related = ["user", "patient"]
    readonly_fields = ["dedupe_key", "created_at", "data", "emailed_at"]
    autocomplete_fields = ["user", "patient"]
    show_full_result_count = False
    actions = ["resend_email"]

    @admin.action(description=_("Send the e-mail again (now, even in quiet hours)"))
    def resend_email(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        queued = services.emails_resend(queryset)
        self.message_user(
            request,
            _("%(count)s e-mail(s) queued; the task list shows how each went.")
            % {"count": queued},
            messages.SUCCESS,
        )


@admin.register(NotificationPreferences)
class NotificationPreferencesAdmin(admin.ModelAdmin):
    list_display = ["user", "email_enabled", "quiet_hours_start", "quiet_hours_end", "updated_at"]
    list_filter = ["email_enabled"]
    search_fields = ["user__email", "user__name"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    readonly_fields = ["updated_at"]
