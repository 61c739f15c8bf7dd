from __future__ import annotations

from django.urls import path

from journal import views

app_name = "journal"

urlpatterns = [
    path("patients/<uuid:patient_id>/logs/", views.home, name="home"),
    path("patients/<uuid:patient_id>/logs/write/", views.write, name="write"),
    path("patients/<uuid:patient_id>/logs/<uuid:log_id>/delete/", views.delete, name="delete"),
    path("patients/<uuid:patient_id>/timeline/", views.timeline_view, name="timeline"),
]
