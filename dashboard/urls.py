from __future__ import annotations

from django.urls import path

from dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("bench/floor/", views.floor, name="floor"),
    path("patients/<uuid:patient_id>/analytics/", views.patient_analytics, name="analytics"),
]
