"""Two-step sign-in pages: the login's code step, setting it up under Settings,
backup codes and turning it off. The rules are in :mod:`accounts.two_factor`."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import django_otp
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import two_factor
from accounts.models import User
from audit.services import access_log_record
from medtrack.types import AuthenticatedHttpRequest

#: Backup codes just made, kept in the session until the page after the redirect shows them.
NEW_CODES_SESSION_KEY = "two_factor_new_codes"


class CodeForm(forms.Form):
    """One field for a code from the app or a backup code (told apart by shape)."""

    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=32,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )

    def __init__(self, *args: Any, backup: bool = False, app_only: bool = False, **kw: Any):
        super().__init__(*args, **kw)
        self.app_only = app_only
        field = self.fields["code"]
        if backup:
            field.label = _("Backup code")
            field.help_text = _("One of the codes you saved when you turned this on.")
            field.widget.attrs["inputmode"] = "text"
        else:
            field.label = _("6-digit code from your authenticator app")
            field.help_text = (
                ""
                if app_only
                else _("Lost your phone? You can type one of your backup codes here instead.")
            )

    def clean_code(self) -> str:
        code = two_factor.normalize(self.cleaned_data["code"])
        kind = two_factor.kind_of(code)
        if kind is None or (self.app_only and kind != "app"):
            raise forms.ValidationError(
                _("Enter the 6 digits your app shows now.")
                if self.app_only
                else _("Enter the 6 digits your app shows now, or a backup code.")
            )
        return code

    def refuse(self, result: two_factor.Verification) -> None:
        """Explain a code that did not work (the form keeps what was typed)."""
        if result.outcome is two_factor.Outcome.THROTTLED:
            self.add_error("code", _throttled_message(result.wait_seconds))
        elif result.method == "backup":
            self.add_error("code", _("That backup code did not work, or it was used already."))
        else:
            self.add_error(
                "code",
                _(
                    "That code did not work. Enter the newest code your app shows; "
                    "if it still fails, check that your phone's clock is set automatically."
                ),
            )


def _throttled_message(wait_seconds: int) -> str:
    if wait_seconds < 120:
        return ngettext(
            "Too many wrong codes. For your safety, please wait %(n)s second and try again.",
            "Too many wrong codes. For your safety, please wait %(n)s seconds and try again.",
            wait_seconds,
        ) % {"n": wait_seconds}
    minutes = (wait_seconds + 59) // 60
    return ngettext(
        "Too many wrong codes. For your safety, please wait %(n)s minute and try again.",
        "Too many wrong codes. For your safety, please wait %(n)s minutes and try again.",
        minutes,
    ) % {"n": minutes}


def safe_next(request: HttpRequest, given: str | None = None) -> str:
    """``next`` (or ``given``) if it points at this site, else ""."""
    target = given if given is not None else request.POST.get("next") or request.GET.get("next")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and allowed else ""


def _with_next(url_name: str, next_url: str) -> str:
    url = reverse(url_name)
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


# -- The login's code step -------------------------------------------------------------


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The second step: after the password (the pending person in the session),
    or for a signed-in person whose session has not proved a code yet (staff on
    their way to the admin). A right code logs in and goes on to ``next``."""
    pending = two_factor.pending_user(request)
    if pending is not None:
        user, next_url = pending.user, safe_next(request, pending.next_url)
    elif request.user.is_authenticated:
        user, next_url = request.user, safe_next(request)
        if two_factor.is_verified(user) or not two_factor.is_enabled(user):
            return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    else:
        if request.method == "POST":
            messages.info(request, _("That took a while, so please log in again."))
        next_url = safe_next(request)
        if next_url:
            return redirect_to_login(next_url, resolve_url(settings.LOGIN_URL))
        return redirect(settings.LOGIN_URL)

    backup = request.GET.get("with") == "backup" or request.POST.get("with") == "backup"
    form = CodeForm(request.POST or None, backup=backup)
    if request.method == "POST" and form.is_valid():
        result = two_factor.verify(user=user, code=form.cleaned_data["code"])
        if result.ok:
            if pending is not None:
                two_factor.pending_clear(request)
                login(request, user, backend=pending.backend)  # a new session key, too
                django_otp.login(request, result.device)
            else:
                two_factor.session_verified(request, result.device)
            if result.method == "backup":
                _say_backup_codes_left(request, user)
            return redirect(next_url or settings.LOGIN_REDIRECT_URL)
        access_log_record(
            request=request,
            action="login_failed",
            actor=user,
            detail={
                "email": user.email,
                "step": "two_factor",
                "method": result.method,
                "throttled": result.outcome is two_factor.Outcome.THROTTLED,
            },
        )
        form.refuse(result)
    return render(
        request,
        "accounts/two_factor/verify.html",
        {"form": form, "backup": backup, "next": next_url, "signed_in": pending is None},
    )


def _say_backup_codes_left(request: HttpRequest, user: User) -> None:
    left = two_factor.backup_codes_left(user)
    if left <= 3:
        messages.warning(
            request,
            _(
                "You used a backup code; %(n)s left. Make new ones in Settings → "
                "Two-step sign-in, and set up your new phone there."
            )
            % {"n": left},
        )
    else:
        messages.info(request, _("You used a backup code; %(n)s left.") % {"n": left})


# -- Settings ----------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Turn it on: a new key as a QR code (and as text), confirmed by a code from it."""
    user = request.user
    next_url = safe_next(request)
    if two_factor.is_enabled(user):
        messages.info(request, _("Two-step sign-in is already on."))
        return redirect(next_url or "accounts:settings")
    device = two_factor.enrolment_device(user=user)
    form = CodeForm(request.POST or None, app_only=True)
    if request.method == "POST" and form.is_valid():
        result, codes = two_factor.enrolment_confirm(
            user=user, device=device, code=form.cleaned_data["code"], request=request
        )
        if result.ok:
            # This session has just proved the phone: it counts as verified.
            two_factor.session_verified(request, device)
            request.session[NEW_CODES_SESSION_KEY] = codes
            messages.success(request, _("Two-step sign-in is on."))
            return redirect(_with_next("accounts:two_factor_backup_codes", next_url))
        form.refuse(result)
    return render(
        request,
        "accounts/two_factor/setup.html",
        {
            "form": form,
            "next": next_url,
            "qr": two_factor.qr_svg(device, _("QR code for your authenticator app")),
            "secret": two_factor.secret_for_typing(device),
            "otpauth_url": two_factor.provisioning_uri(device),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def backup_codes(request: AuthenticatedHttpRequest) -> HttpResponse:
    """GET: the codes just made (once), or how many are left. POST: new codes."""
    user = request.user
    next_url = safe_next(request)
    if not two_factor.is_enabled(user):
        request.session.pop(NEW_CODES_SESSION_KEY, None)
        return redirect("accounts:two_factor_setup")
    if request.method == "POST":
        if not two_factor.is_verified(user):
            return redirect(_with_next("accounts:two_factor_verify", request.path))
        request.session[NEW_CODES_SESSION_KEY] = two_factor.backup_codes_replace(
            user=user, request=request
        )
        messages.success(request, _("New backup codes are ready; the old ones no longer work."))
        return redirect(_with_next("accounts:two_factor_backup_codes", next_url))
    codes = request.session.pop(NEW_CODES_SESSION_KEY, None)
    return render(
        request,
        "accounts/two_factor/backup_codes.html",
        {
            "codes": codes,
            "left": two_factor.backup_codes_left(user),
            "next": next_url,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def disable(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Turn it off, with a current code from the app or a backup code."""
    user = request.user
    if not two_factor.is_enabled(user):
        messages.info(request, _("Two-step sign-in is already off."))
        return redirect("accounts:settings")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = two_factor.verify(user=user, code=form.cleaned_data["code"])
        if result.ok:
            two_factor.two_factor_disable(user=user, request=request, actor=user)
            messages.success(
                request, _("Two-step sign-in is off. Your password alone now signs you in.")
            )
            return redirect("accounts:settings")
        form.refuse(result)
    return render(request, "accounts/two_factor/disable.html", {"form": form})
