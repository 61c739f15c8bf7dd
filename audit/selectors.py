"""Reads for the Activity page, keyset-paginated so a page costs the same with
one year of history or ten."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

from django.utils import timezone

from accounts.models import User
from audit.activity import AREAS, Entry, describe, page_sql
from audit.models import Activity
from caregivers.models import PatientCaregiver
from medtrack.rls import system_context
from patients.models import Patient

PAGE_SIZE = 50


@dataclass
class ActivityPage:
    entries: list[Entry]
    next_cursor: str | None


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def encode_cursor(row: Activity) -> str:
    """``<microseconds since 1970>.<key>``: exact, and safe in a URL as it is."""
    micros = (row.occurred_at - EPOCH) // dt.timedelta(microseconds=1)
    return f"{micros}.{row.key}"


_KEY = re.compile(r"^[a-z_]+:[0-9a-f-]{1,36}$")


def decode_cursor(cursor: str) -> tuple[dt.datetime, str] | None:
    """The position in a ``?before=`` link; anything else starts from the newest."""
    micros, _, key = cursor.partition(".")
    if not _KEY.match(key):
        return None
    try:
        return EPOCH + dt.timedelta(microseconds=int(micros)), key
    except (ValueError, OverflowError):
        return None


def activity_page(
    patient: Patient,
    *,
    cursor: str | None = None,
    actor_id: uuid.UUID | None = None,
    area: str | None = None,
    size: int = PAGE_SIZE,
) -> ActivityPage:
    """One page of the patient's activity, newest first (system context: the
    caller has checked the user may read the patient's activity)."""
    params: dict[str, object] = {"patient": patient.pk, "size": size + 1}
    if actor_id:
        params["actor"] = actor_id
    position = decode_cursor(cursor) if cursor else None
    if position:
        params["at"], params["key"] = position
    sources = [source for source, a in AREAS.items() if a == area] if area else None
    sql = page_sql(sources, actor=bool(actor_id), before=bool(position))
    with system_context("activity page"):
        found = list(Activity.objects.raw(sql, params))
        ids = {str(row.actor_id) for row in found if row.actor_id} | {
            str(row.data[column])
            for row in found
            for column in ("caregiver_id", "escort_id", "shared_with")
            if row.data.get(column)
        }
        names = {
            str(pk): name for pk, name in User.objects.filter(pk__in=ids).values_list("pk", "name")
        }
    more = len(found) > size
    found = found[:size]
    with timezone.override(patient.zone):  # times inside sentences, on the patient's clock
        entries = describe(found, names)
    return ActivityPage(entries, encode_cursor(found[-1]) if more else None)


def people_in_activity(patient: Patient) -> list[tuple[str, str]]:
    """Everyone who has been on the team, for the person filter."""
    return [
        (str(pk), name)
        for pk, name in PatientCaregiver.objects.filter(patient=patient)
        .order_by("caregiver__name")
        .values_list("caregiver_id", "caregiver__name")
    ]
