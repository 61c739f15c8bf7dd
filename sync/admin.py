"""The sync log for staff: who synced what, from which device, and how it went."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from sync.models import SyncLog


@admin.register(SyncLog)
class SyncLogAdmin(admin.ModelAdmin):
    """Read-only: the log is written by the API, one row per pull or push."""

    list_display = [
        "created_at",
        "user",
        "token",
        "client_id",
        "direction",
        "items",
        "applied",
        "conflicts",
        "errors_count",
        "status",
        "duration_ms",
    ]
    list_filter = ["direction", "status", "created_at"]
    search_fields = ["user__email", "client_id", "token__name"]
    list_select_related = ["user", "token"]
    date_hierarchy = "created_at"
    fields = readonly_fields = (
        "created_at",
        "user",
        "token",
        "client_id",
        "direction",
        "cursor_from",
        "cursor_to",
        "items",
        "applied",
        "conflicts",
        "errors_count",
        "errors",
        "duration_ms",
        "status",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
