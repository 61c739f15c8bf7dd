from __future__ import annotations

from django.urls import path

from measurements import views

app_name = "measurements"

PREFIX = "patients/<uuid:patient_id>/measurements/"

urlpatterns = [
    path(PREFIX, views.overview, name="overview"),
    path(f"{PREFIX}new/", views.create, name="create"),
    path(f"{PREFIX}<uuid:measurement_id>/edit/", views.edit, name="edit"),
    path(f"{PREFIX}<uuid:measurement_id>/delete/", views.delete, name="delete"),
    path(f"{PREFIX}<slug:type>/", views.trend, name="trend"),
    path(f"{PREFIX}<slug:type>/target/", views.target, name="target"),
]
