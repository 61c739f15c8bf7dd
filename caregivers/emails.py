"""E-mails about the care team. Each is three templates: subject, text and HTML."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import User
from caregivers.models import CaregiverInvitation
from patients.models import Patient


def send(template: str, to: str, context: dict[str, Any]) -> None:
    subject = " ".join(render_to_string(f"emails/{template}-subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/{template}-body.txt", context),
        to=[to],
    )
    message.attach_alternative(
        render_to_string(f"emails/{template}-body.html", context), "text/html"
    )
    message.send()


def send_invitation(
    invitation: CaregiverInvitation, token: str, patient: Patient, inviter: User
) -> None:
    # E-mail is not a private channel: only the patient's first name goes in it.
    send(
        "invitation",
        invitation.email,
        {
            "inviter": inviter.name,
            "patient_first_name": patient.name.split()[0],
            "role": invitation.get_role_display(),
            "link": settings.SITE_URL.rstrip("/") + reverse("caregivers:invitation", args=[token]),
            "expires_at": invitation.expires_at,
        },
    )
