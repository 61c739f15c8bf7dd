from __future__ import annotations

from django.urls import path

from medications import views

app_name = "medications"

base = "patients/<uuid:patient_id>/medications/"
one = base + "<uuid:medication_id>/"

urlpatterns = [
    path(base, views.medication_list, name="list"),
    path(base + "new/", views.medication_create, name="create"),
    path(one, views.medication_detail, name="detail"),
    path(one + "edit/", views.medication_edit, name="edit"),
    path(one + "status/", views.medication_status, name="status"),
    path(one + "schedules/new/", views.schedule_create, name="schedule_create"),
    path(one + "schedules/<uuid:schedule_id>/", views.schedule_edit, name="schedule_edit"),
    path(one + "schedules/<uuid:schedule_id>/end/", views.schedule_end, name="schedule_end"),
    path(one + "taper/", views.taper_create, name="taper"),
]
