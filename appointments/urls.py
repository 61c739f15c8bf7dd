from __future__ import annotations

from django.urls import path

from appointments import calendar_views, views

app_name = "appointments"

ONE = "patients/<uuid:patient_id>/appointments/<uuid:appointment_id>/"

urlpatterns = [
    path("patients/<uuid:patient_id>/appointments/", views.appointment_list, name="list"),
    path("patients/<uuid:patient_id>/appointments/new/", views.appointment_create, name="create"),
    path(ONE, views.appointment_detail, name="detail"),
    path(f"{ONE}edit/", views.appointment_edit, name="edit"),
    path(f"{ONE}status/", views.appointment_status, name="status"),
    path(f"{ONE}outcome/", views.appointment_outcome, name="outcome"),
    path(f"{ONE}delete/", views.appointment_delete, name="delete"),
    path(f"{ONE}event.ics", views.appointment_ics, name="ics"),
    path("calendar/", calendar_views.calendar_view, name="calendar"),
    path("calendar/<str:secret>.ics", calendar_views.feed, name="feed"),
    path("accounts/calendar-feeds/", calendar_views.feeds, name="feeds"),
    path(
        "accounts/calendar-feeds/<uuid:token_id>/revoke/",
        calendar_views.feed_revoke,
        name="feed_revoke",
    ),
]
