from __future__ import annotations

from django.contrib import admin

from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "type", "title", "patient", "read_at", "emailed_at"]
    list_filter = ["type", "read_at", "created_at"]
    search_fields = ["title", "user__email", "patient__name"]
    date_hierarchy = "created_at"
    list_select_related = ["user", "patient"]
    readonly_fields = ["dedupe_key", "created_at", "data"]
    autocomplete_fields = ["user", "patient"]
    show_full_result_count = False
