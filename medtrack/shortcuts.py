"""View helpers shared by several apps."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect


def get_or_gone[M: Model](
    request: HttpRequest, queryset: QuerySet[M], pk: Any, *, gone: str, back: str
) -> M | HttpResponse:
    """The record a delete page is about. Already gone: a second tap on Delete is
    told it is done (``gone``) and sent ``back``; any other request gets 404."""
    found = queryset.filter(pk=pk).first()
    if found is not None:
        return found
    if request.method == "POST":
        messages.info(request, gone)
        return redirect(back)
    raise Http404


def int_choice(value: str | None, choices: Iterable[int], default: int) -> int:
    """A whole-number query parameter (``?days=30``) that must be one of ``choices``."""
    try:
        number = int(value or "")
    except ValueError:
        return default
    return number if number in choices else default
