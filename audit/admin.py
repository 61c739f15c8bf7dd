from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from audit.models import AccessLog


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    """Read-only: nobody edits or deletes the access log, staff included."""

    list_display = ["occurred_at", "action", "actor", "patient_id", "object_type", "ip_address"]
    list_filter = ["action", "object_type", "occurred_at"]
    search_fields = ["actor__email", "patient_id", "object_id", "request_id", "ip_address"]
    date_hierarchy = "occurred_at"
    list_select_related = ["actor"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
