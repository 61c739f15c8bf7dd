"""Break-glass grants: staff see a patient's data in the admin only under an active
grant for that patient, which the family hears about and reads on its Activity page.

The admins are walked from ``admin.site._registry``: a model added later that
holds patient data is covered (or fails) without editing this file.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Model
from django.db.utils import DatabaseError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pghistory.models import Event, Events

from accounts.models import User
from audit.breakglass import GrantedEventsAdmin, PatientDataAdmin
from audit.models import AccessLog, BreakGlassGrant
from audit.services import break_glass_end, break_glass_open
from conftest import break_glass, work_tasks
from doses.models import Dose
from medtrack.rls import acting_as, system_context
from notifications.models import Notification
from patients.models import Patient

pytestmark = pytest.mark.django_db

#: Registered models with a patient that are deliberately readable without a grant.
NO_GRANT_NEEDED = {
    # The audit trail: patients by id only, no health data; how staff find out who
    # looked at what (their own emergency access included).
    AccessLog,
    # The grants themselves (the patient by id only): the way in, and its record.
    BreakGlassGrant,
}


def holds_patient_data(model: type[Model]) -> bool:
    """The patient, history, and any model with a patient or a link to one (file shares)."""
    if model is Patient or issubclass(model, Event | Events):
        return True

    def has_patient(candidate: type[Model]) -> bool:
        names = {field.name for field in candidate._meta.concrete_fields}
        return candidate is Patient or bool({"patient", "patient_id"} & names)

    return has_patient(model) or any(
        field.many_to_one and field.related_model is not None and has_patient(field.related_model)
        for field in model._meta.concrete_fields
        if field.related_model is not model
    )


PATIENT_DATA = sorted(
    (
        model_admin
        for model, model_admin in admin.site._registry.items()
        if holds_patient_data(model) and model not in NO_GRANT_NEEDED
    ),
    key=lambda model_admin: model_admin.opts.label,
)


def label(model_admin: admin.ModelAdmin) -> str:
    return model_admin.opts.label


def admin_url(model_admin: admin.ModelAdmin, view: str, *args: Any) -> str:
    return reverse(
        f"admin:{model_admin.opts.app_label}_{model_admin.opts.model_name}_{view}", args=args
    )


def a_row_of(model_admin: admin.ModelAdmin, patient: Patient) -> Model:
    """One of ``patient``'s rows in this admin's table (the fixture gives each some)."""
    with system_context("test"):
        if isinstance(model_admin, GrantedEventsAdmin):
            # The newest: the list shows the newest first, a page at a time.
            found = model_admin.model.objects.references(patient).order_by("-pgh_created_at")
        else:
            found = model_admin.model._default_manager.filter(
                **{model_admin.patient_path: patient.pk}
            )
        row = found.first()
    assert row is not None, f"{label(model_admin)}: the patient fixture gives it no row"
    return row


def listed(client: Client, model_admin: admin.ModelAdmin, **params: str) -> Any:
    response = client.get(admin_url(model_admin, "changelist"), params)
    assert response.status_code == 200, f"{label(model_admin)}: {response.status_code}"
    return response


# -- Every admin of patient data ------------------------------------------------------


def test_the_walk_finds_the_admins_of_patient_data() -> None:
    found = {label(model_admin) for model_admin in PATIENT_DATA}
    assert {
        "patients.Patient",
        "caregivers.PatientCaregiver",
        "doses.Dose",
        "files.FileShare",
        "notifications.Notification",
        "pghistory.MiddlewareEvents",
    } <= found
    assert not {"accounts.User", "accounts.ApiToken", "sync.SyncLog"} & found


def test_every_admin_of_patient_data_needs_a_grant() -> None:
    forgotten = [
        label(model_admin)
        for model_admin in PATIENT_DATA
        if not isinstance(model_admin, PatientDataAdmin)
    ]
    assert forgotten == [], "use audit.breakglass.PatientDataAdmin (or name it in NO_GRANT_NEEDED)"


@pytest.mark.parametrize("model_admin", PATIENT_DATA, ids=label)
def test_without_a_grant_staff_see_nothing_of_the_patient(
    staff_client: Client, staff: User, patient: Patient, other_patient: Patient, model_admin: Any
) -> None:
    row = a_row_of(model_admin, patient)
    break_glass(staff, other_patient)  # access to another family changes nothing for Rosa's

    page = listed(staff_client, model_admin)
    searched = listed(staff_client, model_admin, q="Rosa")

    for response in (page, searched):
        assert row.pk not in {shown.pk for shown in response.context["cl"].result_list}
        # No row, filter, link or title names her (the search box echoes "Rosa" alone).
        assert "Rosa Primary" not in response.content.decode()
    assert staff_client.get(admin_url(model_admin, "change", quote(row.pk))).status_code == 404
    if model_admin.has_delete_permission(page.wsgi_request):
        assert staff_client.get(admin_url(model_admin, "delete", quote(row.pk))).status_code == 404
    assert staff_client.get(admin_url(model_admin, "history", quote(row.pk))).status_code == 404


@pytest.mark.parametrize("model_admin", PATIENT_DATA, ids=label)
def test_under_a_grant_staff_see_the_patient(
    staff_client: Client, staff: User, patient: Patient, model_admin: Any
) -> None:
    row = a_row_of(model_admin, patient)
    break_glass(staff, patient)

    page = listed(staff_client, model_admin)
    opened = staff_client.get(admin_url(model_admin, "change", quote(row.pk)))

    assert row.pk in {shown.pk for shown in page.context["cl"].result_list}
    assert opened.status_code == 200


def test_the_list_says_how_to_open_a_grant(staff_client: Client, patient: Patient) -> None:
    response = staff_client.get(reverse("admin:doses_dose_changelist"))

    (message,) = [str(m) for m in response.context["messages"]]
    assert "you have no emergency access open" in message
    assert reverse("admin:audit_breakglassgrant_add") in message


def test_autocomplete_and_choices_offer_only_granted_patients(
    staff_client: Client, staff: User, patient: Patient, other_patient: Patient
) -> None:
    def suggested() -> list[str]:
        response = staff_client.get(
            reverse("admin:autocomplete"),
            {"app_label": "doses", "model_name": "dose", "field_name": "patient", "term": ""},
        )
        return [result["text"] for result in response.json()["results"]]

    assert suggested() == []
    break_glass(staff, other_patient)
    assert suggested() == ["Tomás Stranger"]
    with system_context("test"):
        dose = patient_dose(patient)
    break_glass(staff, patient)
    form = (
        staff_client.get(reverse("admin:doses_dose_change", args=[dose.pk]))
        .context["adminform"]
        .form
    )
    with system_context("test"):  # (the admin reads in system context)
        assert set(form.fields["patient"].queryset) == {patient, other_patient}


def test_history_offers_no_way_around_the_grant(
    staff_client: Client, staff: User, patient: Patient
) -> None:
    url = reverse("admin:pghistory_middlewareevents_changelist")
    by_object = staff_client.get(url, {"obj": f"patients.patient:{patient.pk}"})
    assert by_object.status_code == 302
    assert "obj=" not in by_object["Location"]
    break_glass(staff, patient)
    events = staff_client.get(url).context["cl"].result_list
    assert {"patients.Patient", "doses.Dose", "notifications.Notification"} <= {
        event.pgh_obj_model for event in events
    }


# -- Opening, expiry, ending ----------------------------------------------------------


def open_page(client: Client, **data: str) -> Any:
    return client.post(reverse("admin:audit_breakglassgrant_add"), data)


REASON = "Ticket 3120: Alice asked us to check why a dose shows as missed."


def test_the_open_page_asks_for_an_id_and_lists_no_patient(
    staff_client: Client, patient: Patient
) -> None:
    page = staff_client.get(reverse("admin:audit_breakglassgrant_add"))

    assert page.status_code == 200
    assert "Rosa" not in page.content.decode()
    unknown = open_page(staff_client, patient_id=str(uuid.uuid4()), reason=REASON)
    assert "No patient has this id" in unknown.content.decode()
    terse = open_page(staff_client, patient_id=str(patient.pk), reason="checking")
    assert terse.context["form"].errors["reason"]
    assert not BreakGlassGrant.objects.exclude(staff__email="support@example.com").exists()


def test_opening_a_grant_logs_it_tells_the_primaries_and_opens_the_patient(
    staff_client: Client, staff: User, patient: Patient, primary: User, secondary: User
) -> None:
    mail.outbox.clear()
    response = open_page(staff_client, patient_id=str(patient.pk), reason=REASON)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:patients_patient_change", args=[patient.pk])
    with system_context("test"):
        grant = BreakGlassGrant.objects.get(staff=staff)
        logged = AccessLog.objects.get(action="break_glass")
        told = list(Notification.objects.filter(type="break_glass"))
    assert grant.expires_at == grant.created_at + dt.timedelta(minutes=60)
    assert (logged.actor, logged.patient_id, logged.object_id) == (
        staff,
        patient.pk,
        str(grant.pk),
    )
    assert logged.detail == {
        "event": "opened",
        "reason": REASON,
        "expires_at": grant.expires_at.isoformat(),
    }
    assert [n.user for n in told] == [primary]  # primaries only, not Bob or Vera
    assert told[0].patient_id == patient.pk
    assert REASON in told[0].body
    assert told[0].url == reverse("audit:activity", args=[patient.pk])
    work_tasks()
    sent = [m for m in mail.outbox if "emergency access" in m.body]
    assert [m.to for m in sent] == [[primary.email]]
    assert "MedTrack staff opened emergency access to the record of Rosa, until" in sent[0].body
    assert "Ticket 3120" not in sent[0].body  # the reason stays behind the sign-in
    assert staff_client.get(response["Location"]).status_code == 200


def test_a_second_grant_while_one_is_open_is_refused(staff: User, patient: Patient) -> None:
    break_glass(staff, patient)
    with pytest.raises(ValidationError, match="already have emergency access"):
        break_glass(staff, patient)


def test_only_staff_open_or_end_grants(primary: User, patient: Patient) -> None:
    with pytest.raises(PermissionDenied):
        break_glass_open(staff=primary, patient_id=patient.pk, reason=REASON)
    with pytest.raises(PermissionDenied):
        break_glass_end(grants=[], actor=primary)


def test_access_closes_when_the_grant_expires(
    staff_client: Client, staff: User, patient: Patient, time_machine: Any
) -> None:
    url = reverse("admin:patients_patient_change", args=[patient.pk])
    time_machine.move_to(timezone.now(), tick=False)
    break_glass(staff, patient)
    # Staff keep working (a page every 20 minutes keeps the session alive)...
    for minutes in (20, 20, 19):
        time_machine.shift(dt.timedelta(minutes=minutes))
        assert staff_client.get(url).status_code == 200

    time_machine.shift(dt.timedelta(minutes=1))  # ... until the hour is up

    assert staff_client.get(url).status_code == 404


def test_ending_early_closes_access_and_is_logged(
    staff_client: Client, staff: User, patient: Patient
) -> None:
    grant = break_glass(staff, patient)
    page = staff_client.get(reverse("admin:audit_breakglassgrant_change", args=[grant.pk]))
    end = reverse("admin:audit_breakglassgrant_end", args=[grant.pk])
    assert end in page.content.decode()  # the "End now" button

    assert staff_client.get(end).status_code == 405
    ended = staff_client.post(end)

    assert ended.status_code == 302
    url = reverse("admin:patients_patient_change", args=[patient.pk])
    assert staff_client.get(url).status_code == 404
    with system_context("test"):
        grant.refresh_from_db()
        log = AccessLog.objects.filter(action="break_glass").order_by("occurred_at")
        assert [entry.detail["event"] for entry in log] == ["opened", "ended"]
    assert grant.ended_by == staff
    assert grant.ended_at is not None
    assert end not in staff_client.get(ended["Location"]).content.decode()


def test_grants_end_from_the_list_too(staff_client: Client, staff: User, patient: Patient) -> None:
    grant = break_glass(staff, patient)
    staff_client.post(
        reverse("admin:audit_breakglassgrant_changelist"),
        {"action": "end", "_selected_action": [str(grant.pk)]},
    )
    with system_context("test"):
        assert BreakGlassGrant.objects.active(timezone.now()).count() == 0


def test_the_grants_list_names_no_patient(
    staff_client: Client, staff: User, patient: Patient
) -> None:
    break_glass(staff, patient)
    page = staff_client.get(reverse("admin:audit_breakglassgrant_changelist"))
    assert str(patient.pk) in page.content.decode()
    assert "Rosa" not in page.content.decode()


def test_users_tokens_and_the_task_queue_need_no_grant(
    staff_client: Client, patient: Patient, primary: User
) -> None:
    for name in (
        "admin:accounts_user_changelist",
        "admin:accounts_apitoken_changelist",
        "admin:django_tasks_database_dbtaskresult_changelist",
        "admin:notifications_notificationpreferences_changelist",
        "admin:sync_synclog_changelist",
        "admin:audit_accesslog_changelist",
    ):
        response = staff_client.get(reverse(name))
        assert response.status_code == 200, name
        assert response.context["cl"].result_count > 0, name
    user = staff_client.get(reverse("admin:accounts_user_change", args=[primary.pk]))
    assert user.status_code == 200


# -- What the family sees --------------------------------------------------------------


def test_the_activity_page_shows_emergency_access_as_a_warning(
    staff_client: Client, staff: User, patient: Patient, primary: User
) -> None:
    grant = break_glass(staff, patient, REASON)
    with system_context("test"):
        dose = patient_dose(patient)
    staff_client.get(reverse("admin:doses_dose_change", args=[dose.pk]))
    break_glass_end(grants=[grant], actor=staff)
    viewer = Client()
    viewer.force_login(primary)

    page = viewer.get(reverse("audit:activity", args=[patient.pk]))

    entries = page.context["page"].entries
    (warning,) = [entry for entry in entries if entry.alert]
    assert warning.text.startswith(
        "Emergency access by MedTrack staff: Ticket 3120: Alice asked us to check why a dose "
        "shows as missed, until "
    )
    texts = [entry.text for entry in entries]
    assert "MedTrack staff looked at doses in the administration" in texts
    assert "The emergency access of MedTrack staff was ended early" in texts
    html = page.content.decode()
    assert 'class="activity-access activity-alert"' in html
    assert " style=" not in html


def patient_dose(patient: Patient) -> Dose:
    dose = Dose.objects.filter(patient=patient).first()
    assert dose is not None
    return dose


# -- The database's half ---------------------------------------------------------------


def test_the_team_reads_its_patients_grants_and_nobody_writes_them(
    patient: Patient, primary: User, viewer: User, stranger: User
) -> None:
    def count(user: User) -> int:
        with acting_as(user.pk), connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM break_glass_grants WHERE patient_id = %s", [patient.pk]
            )
            return cursor.fetchone()[0]

    assert (count(primary), count(viewer), count(stranger)) == (1, 1, 0)
    for statement in (
        "UPDATE break_glass_grants SET ended_at = now()",
        "DELETE FROM break_glass_grants",
        "INSERT INTO break_glass_grants (id, staff_id, patient_id, reason, expires_at) "
        "SELECT gen_random_uuid(), staff_id, patient_id, reason, now() + interval '1 hour' "
        "FROM break_glass_grants",
    ):
        with (
            pytest.raises(DatabaseError, match="permission denied"),
            transaction.atomic(),
            acting_as(primary.pk),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
