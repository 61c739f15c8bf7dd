"""The admin site: staff only, and only in a session that proved a two-step code.

``MedTrackAdminConfig`` replaces ``django.contrib.admin`` in INSTALLED_APPS and
makes :class:`MedTrackAdminSite` the default ``admin.site``, so every
``@admin.register`` lands here. The admin has no login form of its own: its
login page sends each visitor to the step they are missing (log in, set up
two-step sign-in, or enter a code), then back to where they were going.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin.apps import AdminConfig
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from medtrack.middleware import verified


class MedTrackAdminSite(admin.AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        """Active staff (``role = admin``) in an OTP-verified session."""
        return super().has_permission(request) and verified(request.user)

    @method_decorator(never_cache)
    @login_not_required
    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        # Here, not at the top: this module is loaded with the app registry.
        from django.contrib.auth.views import redirect_to_login

        from accounts import two_factor

        target = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = ""
        target = target or reverse("admin:index", current_app=self.name)
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(target, resolve_url("accounts:login"))
        if not user.is_staff:
            messages.error(request, _("Only MedTrack administrators can open the administration."))
            return redirect("dashboard:home")
        if verified(user):
            return HttpResponseRedirect(target)
        query = urlencode({"next": target})
        if two_factor.is_enabled(user):
            messages.info(request, _("Enter a code from your authenticator app to continue."))
            return HttpResponseRedirect(f"{reverse('accounts:two_factor_verify')}?{query}")
        messages.info(
            request,
            _(
                "The administration opens only with two-step sign-in, because it manages "
                "everyone's accounts. Turn it on to continue."
            ),
        )
        return HttpResponseRedirect(f"{reverse('accounts:two_factor_setup')}?{query}")


class MedTrackAdminConfig(AdminConfig):
    default_site = "medtrack.admin_site.MedTrackAdminSite"
