"""E-mails about the care team (templates under ``templates/emails/``)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from accounts.models import User
from caregivers.models import CaregiverInvitation
from medtrack.mail import send
from patients.models import Patient


def send_invitation(
    invitation: CaregiverInvitation, token: str, patient: Patient, inviter: User
) -> None:
    # E-mail is not a private channel: only the patient's first name goes in it.
    send(
        "invitation",
        invitation.email,
        {
            "inviter": inviter.name,
            "patient_first_name": patient.first_name,
            "role": invitation.get_role_display(),
            "link": settings.SITE_URL.rstrip("/") + reverse("caregivers:invitation", args=[token]),
            "expires_at": invitation.expires_at,
        },
    )
