from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from medtrack import health

admin.site.site_header = _("MedTrack administration")
admin.site.site_title = _("MedTrack admin")

urlpatterns = [
    path("", include("dashboard.urls")),
    path("accounts/", include("accounts.urls")),
    path("patients/", include("patients.urls")),
    path("", include("caregivers.urls")),
    path("", include("audit.urls")),
    path("", include("medications.urls")),
    path("", include("doses.urls")),
    path("", include("measurements.urls")),
    path("", include("journal.urls")),
    path("", include("appointments.urls")),
    path("", include("notifications.urls")),
    path("", include("files.urls")),
    path("", include("exports.urls")),
    path("", include("sync.urls")),
    path("admin/", admin.site.urls),
    # The language of the pages before sign-in (a cookie); signed in, it is the
    # account's setting (medtrack.middleware.UserLanguageMiddleware).
    path("language", login_not_required(set_language), name="set_language"),
    # Answered by medtrack.health.HealthCheckMiddleware; named here for reverse().
    path("healthz", health.healthz, name="healthz"),
]
