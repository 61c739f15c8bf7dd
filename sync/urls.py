from __future__ import annotations

from django.urls import path

from sync import device_views, views

app_name = "sync"

urlpatterns = [
    path("api/v1/sync/changes", views.changes, name="changes"),
    path("api/v1/sync/push", views.push_changes, name="push"),
    path("api/v1/openapi.json", views.openapi, name="openapi"),
    path("accounts/settings/sync/", device_views.devices, name="devices"),
    path(
        "accounts/settings/sync/<uuid:token_id>/revoke/",
        device_views.device_revoke,
        name="device_revoke",
    ),
]
