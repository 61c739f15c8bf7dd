from __future__ import annotations

from django.contrib import admin

from audit.breakglass import PatientDataAdmin
from doses.models import Dose


@admin.register(Dose)
class DoseAdmin(PatientDataAdmin):
    list_display = [
        "scheduled_for",
        "medication",
        "patient",
        "status",
        "amount",
        "taken_at",
        "recorded_by",
    ]
    list_filter = ["status", "scheduled_for"]
    search_fields = ["patient__name", "medication__name", "=patient__id"]
    date_hierarchy = "scheduled_for"
    list_select_related = ["medication", "patient", "recorded_by"]
    autocomplete_fields = ["patient", "medication", "recorded_by"]
    raw_id_fields = ["schedule"]
    show_full_result_count = False  # no COUNT(*) over millions of doses
