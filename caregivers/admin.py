from __future__ import annotations

from django.contrib import admin

from caregivers.models import PatientCaregiver


@admin.register(PatientCaregiver)
class PatientCaregiverAdmin(admin.ModelAdmin):
    list_display = ["patient", "caregiver", "role", "is_active", "accepted_at"]
    list_filter = ["role", "is_active"]
    search_fields = ["patient__name", "caregiver__email", "caregiver__name"]
    autocomplete_fields = ["patient", "caregiver"]
