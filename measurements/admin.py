from __future__ import annotations

from typing import Any

from django.contrib import admin

from audit.breakglass import PatientDataAdmin
from measurements.models import Measurement, MeasurementThreshold
from measurements.services import reflag


@admin.register(Measurement)
class MeasurementAdmin(PatientDataAdmin):
    """Values are in the canonical unit shown beside them. A reading edited here
    keeps its flag until its target is next saved."""

    list_display = [
        "measured_at",
        "patient",
        "type",
        "label",
        "value",
        "value_secondary",
        "unit",
        "out_of_range",
        "source",
    ]
    list_filter = [
        ("patient", admin.RelatedOnlyFieldListFilter),
        "type",
        "out_of_range",
        "source",
        "measured_at",
    ]
    date_hierarchy = "measured_at"
    search_fields = ["patient__name", "label", "notes"]
    autocomplete_fields = ["patient", "recorded_by"]
    list_select_related = ["patient"]
    show_full_result_count = False


@admin.register(MeasurementThreshold)
class MeasurementThresholdAdmin(PatientDataAdmin):
    list_display = [
        "patient",
        "type",
        "min_value",
        "max_value",
        "min_secondary",
        "max_secondary",
        "is_active",
    ]
    list_filter = [("patient", admin.RelatedOnlyFieldListFilter), "type", "is_active"]
    search_fields = ["patient__name"]
    autocomplete_fields = ["patient", "updated_by"]
    list_select_related = ["patient"]

    def save_model(self, request: Any, obj: MeasurementThreshold, form: Any, change: bool) -> None:
        """A target changed here re-flags its readings, as in the app."""
        super().save_model(request, obj, form, change)
        reflag(obj.patient, obj)
