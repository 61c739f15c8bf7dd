"""The e-mail for a notification. E-mail is not a private channel, so it says what
kind of thing happened, to whom (first name) and when, never the health details
(medication, reading, doctor): those are a click away, behind the sign-in."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from medtrack import mail
from notifications.models import Notification, Type
from notifications.services import local_when, user_language, user_zone

SUMMARIES = {
    Type.DOSE_DUE: _("A dose for %(name)s is due (%(when)s)."),
    Type.DOSE_MISSED: _("A dose for %(name)s due %(when)s was not recorded."),
    Type.REFILL_LOW: _("A medication for %(name)s is running low: time to refill."),
    Type.APPOINTMENT_UPCOMING: _("%(name)s has an appointment coming up: %(when)s."),
    Type.MEASUREMENT_OUT_OF_RANGE: _(
        "A reading for %(name)s taken %(when)s is outside its target."
    ),
    Type.CAREGIVER_INVITED: _(
        "You were invited to help care for %(name)s: the invitation link is in a separate e-mail."
    ),
    Type.CAREGIVER_JOINED: _("Someone new joined the care team of %(name)s."),
    Type.FILE_SHARED: _("A document was shared with you."),
    Type.EXPORT_READY: _("An export for %(name)s is ready to download."),
    # The reason stays behind the sign-in: staff may have written health details.
    Type.BREAK_GLASS: _(
        "MedTrack staff opened emergency access to the record of %(name)s, until %(when)s. "
        "Their reason, and what they look at, are on the Activity page."
    ),
}


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def summary(notification: Notification) -> str:
    """One sentence without health details, in the active language."""
    if notification.type not in SUMMARIES:  # our own messages (system) are not private
        return f"{notification.title}. {notification.body}".strip(". ") + "."
    patient = notification.patient
    zone = patient.zone if patient else user_zone(notification.user)
    at = notification.data.get("at")
    return SUMMARIES[Type(notification.type)] % {
        "name": patient.first_name if patient else notification.data.get("first_name", ""),
        "when": local_when(dt.datetime.fromisoformat(at), zone) if at else "",
    }


def subject(notification: Notification) -> str:
    """ "Dose missed: Rosa"; our own messages by their title."""
    if notification.type not in SUMMARIES:
        return notification.title
    kind = notification.get_type_display()
    name = notification.patient.first_name if notification.patient else ""
    return _("%(kind)s: %(name)s") % {"kind": kind, "name": name} if name else str(kind)


def message_for(notification: Notification) -> EmailMultiAlternatives:
    user = notification.user
    preferences = _absolute(reverse("notifications:preferences"))
    with translation.override(user_language(user)):
        return mail.build(
            "notification",
            user.email,
            {
                "subject": subject(notification),
                "summary": summary(notification),
                # Not the page itself: its address can say what kind of reading it is.
                "link": _absolute(reverse("notifications:go", args=[notification.pk])),
                "preferences": preferences,
            },
            headers={"List-Unsubscribe": f"<{preferences}>"},
        )
