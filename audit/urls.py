from __future__ import annotations

from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [path("patients/<uuid:patient_id>/activity/", views.activity, name="activity")]
