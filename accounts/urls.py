from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import leaving_views, session_limits, two_factor_views, views

app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("settings/", views.account_settings, name="settings"),
    path("settings/picture/", views.avatar_upload, name="avatar_upload"),
    path("settings/picture/remove/", views.avatar_remove, name="avatar_remove"),
    path("avatars/<uuid:user_id>/", views.avatar, name="avatar"),
    path("session/keepalive/", session_limits.keepalive, name="session_keepalive"),
    path("session/draft/", session_limits.draft, name="session_draft"),
    path("password/change/", views.password_change, name="password_change"),
    path("password/change/done/", views.password_change_done, name="password_change_done"),
    path("password/reset/", views.password_reset, name="password_reset"),
    path("password/reset/sent/", views.password_reset_done, name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("password/reset/done/", views.password_reset_complete, name="password_reset_complete"),
    path("login/code/", two_factor_views.verify, name="two_factor_verify"),
    path("settings/two-step/", two_factor_views.setup, name="two_factor_setup"),
    path(
        "settings/two-step/backup-codes/",
        two_factor_views.backup_codes,
        name="two_factor_backup_codes",
    ),
    path("settings/two-step/off/", two_factor_views.disable, name="two_factor_disable"),
    path("settings/my-data/", leaving_views.data_download, name="data_download"),
    path("settings/delete/", leaving_views.account_delete, name="delete"),
    path("goodbye/", leaving_views.goodbye, name="goodbye"),
]
