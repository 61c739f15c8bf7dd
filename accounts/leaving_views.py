"""Settings → "Your data and your account": download my data, delete my account."""

from __future__ import annotations

import tempfile
import zoneinfo

from django import forms
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts import leaving, personal_data
from accounts.models import User
from audit import services as audit
from audit.models import Action
from medtrack.types import AuthenticatedHttpRequest

#: The document is built in memory up to this size, then in a temporary file.
SPOOL_BYTES = 2 * 1024 * 1024


@require_GET
@never_cache
def data_download(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """Everything about the signed-in person as one JSON file (an attachment)."""
    user = request.user
    now = timezone.now()
    document = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - the response closes it
    try:
        written = personal_data.write(user=user, out=document, now=now)
    except BaseException:
        document.close()
        raise
    audit.access_log_record(
        request=request,
        action=Action.EXPORT,
        object_type="personal_data",
        object_id=str(user.pk),
        detail={"format": personal_data.FORMAT, "version": personal_data.VERSION, **written.rows},
    )
    document.seek(0)
    day = timezone.localdate(now, zoneinfo.ZoneInfo(written.timezone))
    return FileResponse(
        document,
        as_attachment=True,
        filename=f"medtrack-my-data-{day:%Y-%m-%d}.json",
        content_type="application/json",
    )


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("To be sure it is you."),
    )
    understood = forms.BooleanField(
        label=_("I understand that my account is deleted for good and cannot be restored."),
        error_messages={"required": _("Tick this box to confirm.")},
    )

    def __init__(self, user: User, *args: object, **kwargs: object) -> None:
        self.user = user
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                _("That is not your password. Nothing was deleted."), code="wrong_password"
            )
        return password


@require_http_methods(["GET", "POST"])
def account_delete(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What deleting the account does, what stands in the way, and the confirmation."""
    user = request.user
    form = DeleteAccountForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            leaving.account_delete(user=user, request=request)
        except leaving.SolePrimary as error:
            form.add_error(None, error)
        else:
            # Ends this session (and, with the password gone, every other one).
            logout(request)
            return redirect("accounts:goodbye")
    blockers = leaving.blockers_for(user)
    return render(
        request,
        "accounts/leaving/delete.html",
        {"form": form, "blockers": blockers},
        status=400 if form.errors else 200,
    )


@login_not_required
@require_GET
def goodbye(request: HttpRequest) -> HttpResponse:
    """After the deletion (signed out by then); no data, so open to anyone."""
    if request.user.is_authenticated:
        return redirect("dashboard:home")
    return render(request, "accounts/leaving/goodbye.html")
