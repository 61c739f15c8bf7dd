from __future__ import annotations

from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.inbox, name="inbox"),
    path("notifications/preferences/", views.preferences, name="preferences"),
    path("notifications/read-all/", views.read_all, name="read_all"),
    path("notifications/<uuid:notification_id>/open/", views.open_one, name="open"),
    path("notifications/<uuid:notification_id>/", views.go, name="go"),
]
