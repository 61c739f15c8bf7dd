"""Emergency ("break-glass") access: staff see a patient's data in the admin
only under an active grant for that patient (``audit.models.BreakGlassGrant``).

Staff work in system context (the owner role, which row level security does not
restrict), so this is the application's rule, applied in one place:

1. Every ``ModelAdmin`` of a model that holds patient data inherits
   :class:`PatientDataAdmin`. Its ``get_queryset`` keeps only rows of patients
   the staff member holds an active grant for, so lists, search, filters,
   actions, autocomplete (which asks the target's admin) and change, history
   and delete pages (``get_object``: 404) see nothing else, and its foreign-key
   choices offer only such rows. ``audit/tests/test_break_glass.py`` walks
   the admin registry and fails for an admin that forgets it.
2. pghistory's History list (:class:`GrantedEventsAdmin`, set by
   ``PGHISTORY_ADMIN_CLASS``) shows only events that reference a granted patient.
3. Each admin page of patient data opened under a grant is written to the
   access log with the patient's id (action ``admin``), so the family's
   Activity page shows what staff looked at, after the grant itself.

Users, tokens, the task queue and the access log are not patient data and
work without a grant.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import ForeignKey, Model, Q, QuerySet
from django.forms import ModelChoiceField
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from pghistory.admin import EventsAdmin
from pghistory.admin.core import EventModelFilter, LabelFilter

from audit.models import Action, BreakGlassGrant
from audit.services import access_log_record

_CACHE = "_break_glass_patient_ids"


def active_grants(request: HttpRequest) -> list[BreakGlassGrant]:
    """The requesting staff member's grants in force now (read once per request)."""
    found = getattr(request, _CACHE, None)
    if found is None:
        found = list(
            BreakGlassGrant.objects.active(timezone.now())
            .filter(staff_id=request.user.pk)
            .only("id", "patient_id", "expires_at")
            .order_by("expires_at")
        )
        setattr(request, _CACHE, found)
    return found


def granted_patient_ids(request: HttpRequest) -> frozenset[uuid.UUID]:
    return frozenset(grant.patient_id for grant in active_grants(request))


def _grants_url(admin_site: admin.AdminSite, name: str) -> str:
    return reverse(f"{admin_site.name}:audit_breakglassgrant_{name}")


class PatientDataAdmin(admin.ModelAdmin):
    """The admin of a model holding patient data: rows only under a grant."""

    #: The lookup from a row to its patient's id.
    patient_path = "patient_id"
    #: Rows that hold no patient data and need no grant (e.g. notifications of our own).
    also_visible: Q | None = None

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return self.only_granted(request, super().get_queryset(request))

    def only_granted(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        allowed = Q(**{f"{self.patient_path}__in": granted_patient_ids(request)})
        if self.also_visible is not None:
            allowed |= self.also_visible
        return queryset.filter(allowed)

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        """A row of a patient without a grant is not found, like one that does not
        exist (Django's own answer, a redirect to the index, would hide why)."""
        found = super().get_object(request, object_id, from_field)
        if found is None:
            raise Http404(_("Not found, or you have no emergency access to its patient."))
        return found

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        """Choices (and what a form accepts) for a link to patient data: granted rows only."""
        related = self.admin_site._registry.get(db_field.remote_field.model)
        if isinstance(related, PatientDataAdmin) and "queryset" not in kwargs:
            kwargs["queryset"] = related.get_queryset(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        grants = active_grants(request)
        if request.method == "GET":
            messages.add_message(request, *self._access_message(grants))
        response = super().changelist_view(request, extra_context)
        if request.method == "GET" and response.status_code == 200:
            self.log_views(request, {grant.patient_id for grant in grants})
        return response

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().changeform_view(request, object_id, form_url, extra_context)
        if object_id and request.method == "GET" and response.status_code == 200:
            patient_id = self.patient_of(request, object_id)
            if patient_id:
                self.log_views(request, {patient_id}, object_id=unquote(object_id))
        return response

    def patient_of(self, request: HttpRequest, object_id: str) -> uuid.UUID | None:
        return (
            self.get_queryset(request)
            .filter(pk=unquote(object_id))
            .values_list(self.patient_path, flat=True)
            .first()
        )

    def log_views(
        self, request: HttpRequest, patient_ids: Iterable[uuid.UUID], *, object_id: str = ""
    ) -> None:
        """The patient's Activity page says which admin pages staff opened."""
        for patient_id in sorted(patient_ids, key=str):
            access_log_record(
                request=request,
                action=Action.ADMIN,
                patient_id=patient_id,
                object_type=self.opts.label_lower,
                object_id=object_id,
            )

    def _access_message(self, grants: list[BreakGlassGrant]) -> tuple[int, str]:
        if not grants:
            return messages.WARNING, format_html(
                "{} <a href='{}'>{}</a>",
                _(
                    "This list shows no patient's data: you have no emergency access open. "
                    "To look at a patient's data, open a grant with the patient's id (from "
                    "the support ticket) and your reason; the family is told."
                ),
                _grants_url(self.admin_site, "add"),
                _("Open emergency access"),
            )
        until = date_format(timezone.localtime(grants[0].expires_at), "DATETIME_FORMAT")
        return messages.INFO, format_html(
            "{} <a href='{}'>{}</a>",
            ngettext(
                "Showing the data of the patient you have emergency access to (until %(until)s).",
                "Showing the data of the %(count)s patients you have emergency access to "
                "(the first ends %(until)s).",
                len(grants),
            )
            % {"count": len(grants), "until": until},
            _grants_url(self.admin_site, "changelist") + "?state=active",
            _("End it when you are done"),
        )


class GrantedEventsAdmin(PatientDataAdmin, EventsAdmin):
    """pghistory's History list across every event table: only events that
    reference a granted patient (through their ``patient`` column, or the
    patient itself for the patients' own history). Filtering by an object or a
    model (pghistory's ``obj``/``method``/``model`` links, which would load any
    row to name it) is not offered."""

    NOT_OFFERED = ("obj", "method", "model", "back")

    def only_granted(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        from patients.models import Patient

        ids = granted_patient_ids(request)
        if not ids:
            return queryset.none()
        return queryset.references([Patient(pk=pk) for pk in sorted(ids, key=str)])  # type: ignore[attr-defined]

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        return [LabelFilter, EventModelFilter]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if any(name in request.GET for name in self.NOT_OFFERED):
            kept = request.GET.copy()
            for name in self.NOT_OFFERED:
                kept.pop(name, None)
            return HttpResponseRedirect(f"{request.path}?{kept.urlencode()}")
        return super().changelist_view(request, extra_context)

    def patient_of(self, request: HttpRequest, object_id: str) -> uuid.UUID | None:
        event: Model | None = self.get_queryset(request).filter(pk=unquote(object_id)).first()
        if event is None:
            return None
        data = getattr(event, "pgh_data", None) or {}
        if getattr(event, "pgh_obj_model", "") == "patients.Patient":
            return uuid.UUID(str(event.pgh_obj_id))  # type: ignore[attr-defined]
        return uuid.UUID(data["patient_id"]) if data.get("patient_id") else None
