from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    """The caregiver's start page. It grows panels as the care sections arrive."""
    return render(request, "dashboard/home.html")
