from __future__ import annotations

from django.contrib import admin

from audit.breakglass import PatientDataAdmin
from caregivers.models import PatientCaregiver
from patients.models import Patient


class PatientCaregiverInline(admin.TabularInline):
    model = PatientCaregiver
    extra = 0
    autocomplete_fields = ["caregiver"]
    fields = ["caregiver", "role", "permissions", "is_active", "accepted_at"]


@admin.register(Patient)
class PatientAdmin(PatientDataAdmin):
    """Staff requests run in system context (``DatabaseContextMiddleware``) and are logged;
    a patient is listed only under emergency access to it (``audit.breakglass``)."""

    patient_path = "pk"

    list_display = ["name", "dob", "gender", "timezone", "created_by", "created_at", "is_deleted"]
    list_filter = ["is_deleted", "gender", "timezone", "created_at"]
    search_fields = ["name", "created_by__email"]
    autocomplete_fields = ["created_by"]
    list_select_related = ["created_by"]
    readonly_fields = ["created_at", "updated_at", "deleted_at"]
    inlines = [PatientCaregiverInline]
    date_hierarchy = "created_at"
