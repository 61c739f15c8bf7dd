from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from audit import services
from audit.forms import BreakGlassOpenForm
from audit.models import AccessLog, BreakGlassGrant


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    """Read-only: nobody edits or deletes the access log, staff included.

    Not behind emergency access (``audit.breakglass``): it names patients by id
    only, holds no health data, and is how staff answer "who looked at what",
    their own emergency access included."""

    list_display = ["occurred_at", "action", "actor", "patient_id", "object_type", "ip_address"]
    list_filter = ["action", "object_type", "occurred_at"]
    search_fields = ["actor__email", "patient_id", "object_id", "request_id", "ip_address"]
    date_hierarchy = "occurred_at"
    list_select_related = ["actor"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class GrantStateFilter(admin.SimpleListFilter):
    title = gettext_lazy("state")
    parameter_name = "state"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[str, str]]:
        return [("active", _("In force")), ("ended", _("Ended or expired"))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[BreakGlassGrant]
    ) -> QuerySet[BreakGlassGrant]:
        live = BreakGlassGrant.objects.active(timezone.now())
        if self.value() == "active":
            return queryset.filter(pk__in=live.values("pk"))
        if self.value() == "ended":
            return queryset.exclude(pk__in=live.values("pk"))
        return queryset


@admin.register(BreakGlassGrant)
class BreakGlassGrantAdmin(admin.ModelAdmin):
    """Opening emergency access (the add page), the grants, and ending them early.

    The patient appears by id only, never by name: this list is readable without
    a grant. Grants are never edited or deleted; ending one is logged."""

    list_display = ["created_at", "staff", "patient_ref", "reason", "expires_at", "state"]
    list_filter = [GrantStateFilter, ("staff", admin.RelatedOnlyFieldListFilter), "created_at"]
    search_fields = ["=patient__id", "staff__email", "reason"]
    list_select_related = ["staff"]
    date_hierarchy = "created_at"
    fields = readonly_fields = (
        "staff",
        "patient_ref",
        "reason",
        "created_at",
        "expires_at",
        "ended_at",
        "ended_by",
        "state",
    )
    actions = ["end"]
    change_form_template = "admin/audit/breakglassgrant/change_form.html"

    @admin.display(description=gettext_lazy("patient id"))
    def patient_ref(self, grant: BreakGlassGrant) -> str:
        return str(grant.patient_id)

    @admin.display(description=gettext_lazy("state"))
    def state(self, grant: BreakGlassGrant) -> str:
        if grant.ended_at is not None:
            return _("Ended early")
        if grant.is_active(timezone.now()):
            return _("In force")
        return _("Expired")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        end = self.admin_site.admin_view(require_POST(self.end_view))
        mine = [path("<path:object_id>/end/", end, name="audit_breakglassgrant_end")]
        return mine + super().get_urls()

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Open emergency access: the patient's id and a reason (form → service → redirect)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = BreakGlassOpenForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                grant = services.break_glass_open(
                    staff=request.user,  # type: ignore[arg-type]
                    request=request,
                    **form.cleaned_data,
                )
            except ValidationError as error:
                form.add_error(None, error)  # a dict of field errors lands on its fields
            else:
                until = date_format(timezone.localtime(grant.expires_at), "DATETIME_FORMAT")
                messages.success(
                    request,
                    _(
                        "Emergency access open until %(until)s. The patient's primary "
                        "caregivers have been told, and see your reason."
                    )
                    % {"until": until},
                )
                return HttpResponseRedirect(
                    reverse(
                        f"{self.admin_site.name}:patients_patient_change",
                        args=[grant.patient_id],
                    )
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Open emergency access to a patient"),
            "opts": self.opts,
            "form": form,
            "minutes": settings.BREAK_GLASS_MINUTES,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/audit/breakglassgrant/open.html", context)

    @admin.action(description=gettext_lazy("End the selected grants now"))
    def end(self, request: HttpRequest, queryset: QuerySet[BreakGlassGrant]) -> None:
        count = services.break_glass_end(grants=queryset, actor=request.user, request=request)  # type: ignore[arg-type]
        self.message_user(
            request,
            ngettext("%(n)s grant ended.", "%(n)s grants ended.", count) % {"n": count},
            messages.SUCCESS,
        )

    def end_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        grant = self.get_queryset(request).filter(pk=unquote(object_id)).first()
        if grant is None:
            raise Http404
        if services.break_glass_end(grants=[grant], actor=request.user, request=request):  # type: ignore[arg-type]
            messages.success(request, _("Emergency access ended."))
        else:
            messages.info(request, _("This grant had already ended."))
        return HttpResponseRedirect(
            reverse(f"{self.admin_site.name}:audit_breakglassgrant_change", args=[grant.pk])
        )

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: BreakGlassGrant | None = None,
    ) -> HttpResponse:
        context["grant_in_force"] = obj is not None and obj.is_active(timezone.now())
        return super().render_change_form(request, context, add, change, form_url, obj)
