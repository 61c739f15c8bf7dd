"""Staff see files' facts and shares, never the files themselves: there is no
link to a stored object, and no admin path bypasses the checked views."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.breakglass import PatientDataAdmin
from files.models import File, FileShare


class ShareInline(admin.TabularInline):
    model = FileShare
    fields = ("shared_with", "shared_by", "created_at", "expires_at", "revoked_at")
    readonly_fields = ("shared_with", "shared_by", "created_at", "expires_at", "revoked_at")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(File)
class FileAdmin(PatientDataAdmin):
    list_display = [
        "file_name",
        "patient",
        "mime_type",
        "human_size",
        "uploaded_by",
        "uploaded_at",
    ]
    list_filter = ["mime_type", "uploaded_at"]
    search_fields = ["file_name", "original_name", "patient__name", "uploaded_by__email"]
    date_hierarchy = "uploaded_at"
    list_select_related = ["patient", "uploaded_by"]
    fields = (
        "file_name",
        "note",
        "patient",
        "measurement",
        "log",
        "original_name",
        "filename",
        "mime_type",
        "size",
        "storage_path",
        "metadata",
        "uploaded_by",
        "uploaded_at",
    )
    readonly_fields = fields[2:]  # all but the name and the note
    inlines = [ShareInline]
    show_full_result_count = False

    @admin.display(description=_("size"), ordering="size")
    def human_size(self, file: File) -> str:
        return filesizeformat(file.size or 0)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # files come in through the checked upload only

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # a row without its stored object, or the reverse: never


class LiveFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[str, str]]:
        return [("live", str(_("Live"))), ("ended", str(_("Revoked or expired")))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[FileShare]) -> QuerySet[FileShare]:
        live = FileShare.objects.active(timezone.now())
        if self.value() == "live":
            return queryset.filter(pk__in=live.values("pk"))
        if self.value() == "ended":
            return queryset.exclude(pk__in=live.values("pk"))
        return queryset


@admin.register(FileShare)
class FileShareAdmin(PatientDataAdmin):
    patient_path = "file__patient_id"

    list_display = ["file", "shared_with", "shared_by", "created_at", "expires_at", "revoked_at"]
    list_filter = [LiveFilter, "created_at"]
    search_fields = ["file__file_name", "shared_with__email", "shared_by__email"]
    list_select_related = ["file", "shared_with", "shared_by"]
    readonly_fields = ["file", "shared_with", "shared_by", "permissions", "created_at"]
    fields = [*readonly_fields, "expires_at", "revoked_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
