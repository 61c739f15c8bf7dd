"""Background tasks, run by ``manage.py db_worker`` (django-tasks-db). A task's
arguments are ids only: the queue table holds no health data."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.tasks import task
from django.utils import timezone

from medtrack.rls import system_context
from notifications import emails
from notifications.models import Channel, Notification
from notifications.services import CATCH_UP, email_time, preferences_of, still_relevant


@task()
def send_notification_email(notification_id: str, attempt: int = 1, force: bool = False) -> str:
    """E-mail one notification, once: held while its recipient has quiet hours
    (unless urgent, or ``force``d by staff), tried again after a failure
    (``EMAIL_RETRY_MINUTES``); each failed attempt stays in the admin's task list."""
    now = timezone.now()
    try:
        return _send(uuid.UUID(notification_id), now, attempt, force)
    except OSError:  # refused, timed out, unknown host, SMTP errors
        if attempt > len(settings.EMAIL_RETRY_MINUTES):
            raise
        delay = dt.timedelta(minutes=settings.EMAIL_RETRY_MINUTES[attempt - 1])
        send_notification_email.using(run_after=now + delay).enqueue(
            notification_id, attempt + 1, force
        )
        raise


def _send(notification_id: uuid.UUID, now: dt.datetime, attempt: int, force: bool) -> str:
    with system_context("send notification e-mail"):
        # Locked until sent and marked, so two workers never send it twice.
        pending = Notification.objects.filter(pk=notification_id)
        if not force:  # (staff sending again: whether or not it went before)
            pending = pending.filter(emailed_at__isnull=True)
        notification = (
            pending.select_for_update(of=("self",), skip_locked=True)
            .select_related("user__settings", "user__notification_preferences", "patient")
            .first()
        )
        if notification is None:
            return "nothing to send (sent already, being sent, or gone)"
        user = notification.user
        wanted = Channel.EMAIL in preferences_of(user).channels_for(notification.type)
        if not (user.is_active and user.email and wanted):
            return "not sent: the recipient does not want it by e-mail"
        if now - notification.created_at > CATCH_UP and not force:
            return "not sent: too old to be useful"
        if why := still_relevant(notification, now):
            return why
        later = None if force else email_time(user, notification.type, now)
        if later is not None and later > now:
            send_notification_email.using(run_after=later).enqueue(
                str(notification_id), attempt, force
            )
            return f"held for quiet hours until {later.isoformat()}"
        emails.message_for(notification).send()
        Notification.objects.filter(pk=notification_id).update(emailed_at=now)
        return "sent"
