from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import services, two_factor
from accounts.forms import AvatarForm, LoginForm, SettingsForm, SignupForm
from accounts.models import User, UserSettings
from medtrack import ratelimit
from medtrack.types import AuthenticatedHttpRequest


@login_not_required
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    if request.user.is_authenticated:
        return redirect(next_url or "dashboard:home")
    form = SignupForm(request.POST or None, initial={"email": request.GET.get("email", "")})
    if request.method == "POST" and (
        wait := ratelimit.hit_all((ratelimit.SIGNUP, ratelimit.client_address(request)))
    ):
        form.is_valid()  # show its own errors too; what was typed stays
        ratelimit.refuse(form, wait)
        return render(
            request, "accounts/signup.html", {"form": form, "next": next_url}, status=429
        )
    if request.method == "POST" and form.is_valid():
        user = services.user_signup(
            email=form.cleaned_data["email"],
            name=form.cleaned_data["name"],
            password=form.cleaned_data["password1"],
            timezone=form.cleaned_data["timezone"],
            language=translation.get_language() or "en",
        )
        login(request, user, backend="accounts.backends.ModelBackend")
        messages.success(request, _("Welcome to MedTrack, %(name)s.") % {"name": user.name})
        return redirect(next_url or "dashboard:home")
    return render(request, "accounts/signup.html", {"form": form, "next": next_url})


def _safe_next(request: HttpRequest) -> str:
    """The ``next`` page to return to, if it is on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else ""


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if two_factor.is_enabled(user):
            # The password only opens the code step: no login() (nor user_logged_in) yet.
            two_factor.pending_start(self.request, user=user, next_url=self.get_redirect_url())
            return redirect("accounts:two_factor_verify")
        return super().form_valid(form)


@require_http_methods(["GET", "POST"])
def account_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    prefs, _created = UserSettings.objects.get_or_create(user=user)
    initial = {
        "name": user.name,
        "timezone": prefs.timezone,
        "language": prefs.language,
        **prefs.units,
    }
    form = SettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.user_update_settings(
            user=user,
            name=form.cleaned_data["name"],
            timezone=form.cleaned_data["timezone"],
            units=form.units,
            language=form.cleaned_data["language"],
        )
        messages.success(request, _("Your settings were saved."))
        return redirect("accounts:settings")
    return render(request, "accounts/settings.html", {"form": form, "avatar_form": AvatarForm()})


password_change = auth_views.PasswordChangeView.as_view(
    template_name="accounts/password_change.html",
    success_url=reverse_lazy("accounts:password_change_done"),
)
password_change_done = auth_views.PasswordChangeDoneView.as_view(
    template_name="accounts/password_change_done.html"
)


class RecipientLanguagePasswordResetForm(PasswordResetForm):
    """The reset e-mail in the account's language, not the asking browser's."""

    def send_mail(self, *args: Any, **kwargs: Any) -> None:
        context = kwargs.get("context") or args[2]
        with translation.override(context["user"].language):
            super().send_mail(*args, **kwargs)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset, limited per address and per e-mail asked about (the
    answer is the same whether the account exists, so it reveals nothing)."""

    template_name = "accounts/password_reset.html"
    email_template_name = "emails/password_reset-body.txt"
    html_email_template_name = "emails/password_reset-body.html"
    subject_template_name = "emails/password_reset-subject.txt"
    form_class = RecipientLanguagePasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        wait = ratelimit.hit_all(
            (ratelimit.PASSWORD_RESET_BY_ADDRESS, ratelimit.client_address(self.request)),
            (ratelimit.PASSWORD_RESET_BY_EMAIL, form.cleaned_data["email"].lower()),
        )
        if wait:
            ratelimit.refuse(form, wait)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


password_reset = PasswordResetView.as_view()
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="accounts/password_reset_done.html"
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="accounts/password_reset_confirm.html",
    success_url=reverse_lazy("accounts:password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/password_reset_complete.html"
)


@require_POST
def avatar_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = AvatarForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.avatar_set(user=request.user, upload=form.cleaned_data["picture"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Your picture was saved. Your care teams see it."))
    else:
        messages.error(request, _("Choose a photo first."))
    return redirect("accounts:settings")


@require_POST
def avatar_remove(request: AuthenticatedHttpRequest) -> HttpResponse:
    services.avatar_remove(user=request.user)
    messages.success(request, _("Your picture was removed."))
    return redirect("accounts:settings")


@require_GET
def avatar(request: AuthenticatedHttpRequest, user_id: uuid.UUID) -> HttpResponse:
    """A person's picture, for themselves and the people they care with (else 404)."""
    from files.serving import send

    owner = User.objects.filter(pk=user_id, is_active=True).only("pk", "avatar_url").first()
    if (
        owner is None
        or not owner.avatar_url
        or not services.may_see_avatar(request.user, owner.pk)
    ):
        raise Http404
    return send(services.avatar_path(owner), "image/webp", "inline", cache="private, max-age=3600")
