"""The settings pages where people make and revoke personal tokens (calendar
addresses, apps that sync): one form and one way of showing a secret once."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import tokens
from accounts.models import ApiToken
from medtrack.db import AlreadyCreated
from medtrack.forms import FormTokenField
from medtrack.types import AuthenticatedHttpRequest


class TokenForm(forms.Form):
    form_token = FormTokenField()
    name = forms.CharField(label=gettext_lazy("Name"), max_length=80)

    def __init__(self, *args: Any, help_text: Any = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].help_text = help_text


def token_form(
    request: AuthenticatedHttpRequest, *, scope: str, help_text: Any, made: str
) -> tuple[TokenForm, ApiToken | None, str]:
    """The page's form and, after a valid POST, the new token and its secret (to show
    in this response only; ``made`` is the message, with ``%(name)s``). Submitted twice,
    the form makes one token and shows the same secret again."""
    form = TokenForm(
        request.POST or None, initial={"form_token": uuid.uuid4()}, help_text=help_text
    )
    if request.method != "POST" or not form.is_valid():
        return form, None, ""
    try:
        token, secret = tokens.token_create(
            user=request.user,
            name=form.cleaned_data["name"],
            scopes=[scope],
            form_token=form.cleaned_data["form_token"],
        )
    except AlreadyCreated:
        form.add_error(None, _("This one was revoked. Make a new one from a fresh page."))
        return form, None, ""
    except ValidationError as error:
        form.add_error(None, error)
        return form, None, ""
    messages.success(request, made % {"name": token.name})
    fresh = TokenForm(initial={"form_token": uuid.uuid4()}, help_text=help_text)
    return fresh, token, secret


def token_revoke(
    request: AuthenticatedHttpRequest, token_id: uuid.UUID, *, done: str, already: str, to: str
) -> HttpResponse:
    """Revoke one of my tokens (a second tap is told it was already done), then go back."""
    if tokens.token_revoke(user=request.user, token_id=token_id):
        messages.success(request, done)
    else:
        messages.info(request, already)
    return redirect(to)
