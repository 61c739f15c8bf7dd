from __future__ import annotations

from django.urls import path

from doses import views

app_name = "doses"

urlpatterns = [
    path("patients/<uuid:patient_id>/doses/", views.today, name="today"),
    path("patients/<uuid:patient_id>/doses/history/", views.history, name="history"),
    path("patients/<uuid:patient_id>/doses/<uuid:dose_id>/record/", views.record, name="record"),
    path(
        "patients/<uuid:patient_id>/doses/as-needed/<uuid:medication_id>/",
        views.give_now,
        name="give_now",
    ),
]
