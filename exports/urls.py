from __future__ import annotations

from django.urls import path

from exports import views

app_name = "exports"

urlpatterns = [
    path("patients/<uuid:patient_id>/exports/", views.export_list, name="list"),
    path("patients/<uuid:patient_id>/exports/made/", views.export_jobs, name="jobs"),
    path(
        "patients/<uuid:patient_id>/exports/<uuid:job_id>/download/",
        views.download,
        name="download",
    ),
]
