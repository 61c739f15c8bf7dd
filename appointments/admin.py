from __future__ import annotations

from typing import Any

from django.contrib import admin

from appointments.models import Appointment
from audit.breakglass import PatientDataAdmin


@admin.register(Appointment)
class AppointmentAdmin(PatientDataAdmin):
    list_display = ["starts_at", "title", "patient", "appointment_type", "status", "escort"]
    list_filter = [
        ("patient", admin.RelatedOnlyFieldListFilter),
        "status",
        "appointment_type",
        "starts_at",
    ]
    date_hierarchy = "starts_at"
    search_fields = ["title", "provider_name", "location", "patient__name"]
    autocomplete_fields = ["patient", "escort", "created_by"]
    list_select_related = ["patient", "escort"]
    readonly_fields = ["sequence"]
    show_full_result_count = False

    def save_model(self, request: Any, obj: Appointment, form: Any, change: bool) -> None:
        """A change made here reaches subscribed calendars like one made in the app."""
        if change:
            obj.sequence += 1
        super().save_model(request, obj, form, change)
