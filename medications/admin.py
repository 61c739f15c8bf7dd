from __future__ import annotations

from django.contrib import admin

from audit.breakglass import PatientDataAdmin
from medications.models import Medication, MedicationSchedule


class MedicationScheduleInline(admin.TabularInline):
    model = MedicationSchedule
    extra = 0
    fields = [
        "frequency",
        "times_of_day",
        "days_of_week",
        "interval",
        "dose_amount",
        "start_date",
        "end_date",
    ]


@admin.register(Medication)
class MedicationAdmin(PatientDataAdmin):
    """Staff edits here do not regenerate doses: change schedules in the app,
    or run generate_doses."""

    list_display = ["name", "strength", "patient", "status", "is_prn", "start_date", "end_date"]
    list_filter = ["status", "is_prn", "form"]
    search_fields = ["name", "generic_name", "patient__name"]
    autocomplete_fields = ["patient", "created_by"]
    list_select_related = ["patient"]
    inlines = [MedicationScheduleInline]
