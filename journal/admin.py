from __future__ import annotations

from django.contrib import admin

from audit.breakglass import PatientDataAdmin
from journal.models import DailyLog


@admin.register(DailyLog)
class DailyLogAdmin(PatientDataAdmin):
    list_display = ["log_date", "patient", "created_by", "mood", "pain_level", "sleep_hours"]
    list_filter = [("patient", admin.RelatedOnlyFieldListFilter), "log_date", "mood"]
    date_hierarchy = "log_date"
    search_fields = ["patient__name", "notes", "created_by__email"]
    autocomplete_fields = ["patient", "created_by"]
    list_select_related = ["patient", "created_by"]
    show_full_result_count = False
