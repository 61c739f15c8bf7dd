"""E-mail from templates: each message is three, ``emails/<name>-subject.txt``,
``-body.txt`` and ``-body.html``, sent through ``MAILERS["default"]``."""

from __future__ import annotations

from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def build(
    template: str, to: str, context: dict[str, Any], headers: dict[str, str] | None = None
) -> EmailMultiAlternatives:
    subject = " ".join(render_to_string(f"emails/{template}-subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/{template}-body.txt", context),
        to=[to],
        headers=headers,
    )
    message.attach_alternative(
        render_to_string(f"emails/{template}-body.html", context), "text/html"
    )
    return message


def send(template: str, to: str, context: dict[str, Any]) -> None:
    build(template, to, context).send()
