from __future__ import annotations

from django.urls import path

from patients import views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_create, name="create"),
    path("deleted/", views.patient_deleted_list, name="deleted"),
    path("<uuid:patient_id>/", views.patient_detail, name="detail"),
    path("<uuid:patient_id>/edit/", views.patient_edit, name="edit"),
    path("<uuid:patient_id>/delete/", views.patient_delete, name="delete"),
    path("<uuid:patient_id>/restore/", views.patient_restore, name="restore"),
]
