"""The caregiver's start page, for all their patients at once: a fixed number of
queries however many patients, medications and days of history there are."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, F, Window

from accounts.models import User
from appointments.models import Appointment
from appointments.models import Status as AppointmentStatus
from doses.models import Dose, DoseStatus
from doses.selectors import DUE_SOON, ROW_FIELDS, Row, state_of
from doses.services import missed_after
from medications.recurrence import start_of_day
from notifications.models import Notification
from patients.access import Area, Level, level_for
from patients.models import Patient

#: How far back "needs attention" looks for missed doses and flagged readings.
ATTENTION = dt.timedelta(hours=48)
DUE_ROWS = 30


@dataclass
class Progress:
    """A patient's scheduled doses of their own today."""

    total: int = 0
    taken: int = 0
    skipped: int = 0
    missed: int = 0

    @property
    def done(self) -> int:
        return self.taken + self.skipped + self.missed

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


@dataclass(frozen=True)
class LowStock:
    """A medication at or below its refill level (``doses.selectors.needing_refill``)."""

    pk: uuid.UUID
    name: str


@dataclass
class Card:
    """One patient on the dashboard: today's progress and what needs attention."""

    patient: Patient
    can_record: bool = False
    progress: Progress | None = None
    missed: int = 0
    flagged: int = 0
    low_stock: list[LowStock] = field(default_factory=list)
    invitations: int = 0

    @property
    def needs_attention(self) -> bool:
        return bool(self.missed or self.flagged or self.low_stock or self.invitations)


@dataclass
class Dashboard:
    cards: list[Card]
    due: list[tuple[Row, Card]]
    appointments: list[Appointment]
    unread: Sequence[Notification]
    unread_count: int

    @property
    def attention(self) -> list[Card]:
        return [card for card in self.cards if card.needs_attention]


def _ids(cards: list[Card], area: Area, need: Level = Level.READ) -> list[uuid.UUID]:
    return [
        card.patient.pk
        for card in cards
        if level_for(
            card.patient.membership_role,  # type: ignore[attr-defined]
            card.patient.membership_permissions,  # type: ignore[attr-defined]
            area,
        )
        >= need
    ]


def dashboard(user: User, now: dt.datetime) -> Dashboard:
    patients = list(
        Patient.objects.active()
        .filter(caregivers__caregiver=user, caregivers__is_active=True)
        .annotate(
            membership_role=F("caregivers__role"),
            membership_permissions=F("caregivers__permissions"),
        )
        .only("id", "name", "timezone")  # what the cards show (issue 16)
        .order_by("name")
    )
    cards = [Card(patient) for patient in patients]
    by_id = {card.patient.pk: card for card in cards}
    doses_ids = _ids(cards, Area.DOSES)
    for pk in _ids(cards, Area.DOSES, Level.WRITE):
        by_id[pk].can_record = True
    due = _due(doses_ids, by_id, now)
    _numbers(cards, now)
    appointments = list(
        Appointment.objects.filter(
            patient_id__in=_ids(cards, Area.APPOINTMENTS),
            status=AppointmentStatus.SCHEDULED,
            starts_at__gte=now,
        ).order_by("starts_at")[:5]
    )
    for appointment in appointments:
        appointment.patient = by_id[appointment.patient_id].patient  # (already loaded)
    unread = list(
        Notification.objects.filter(user=user, read_at__isnull=True)
        .annotate(total=Window(Count("pk")))
        .order_by("-created_at")[:3]
    )
    count = unread[0].total if unread else 0
    return Dashboard(cards, due, appointments, unread, count)


def _due(ids: list[uuid.UUID], by_id: dict[uuid.UUID, Card], now: dt.datetime) -> list:
    """Doses due now and overdue (not yet missed), soonest first (one query)."""
    doses = (
        Dose.objects.filter(
            patient_id__in=ids,
            status=DoseStatus.PENDING,
            scheduled_for__gte=now - missed_after(),
            scheduled_for__lte=now + DUE_SOON,
        )
        .select_related("medication", "recorded_by")
        .only(*ROW_FIELDS)
        .order_by("scheduled_for", "medication__name")[:DUE_ROWS]
    )
    rows = []
    for dose in doses:
        card = by_id[dose.patient_id]
        dose.patient = card.patient  # (already loaded, with the membership)
        rows.append((Row(dose, state_of(dose, now)), card))
    return rows


#: Each card's numbers in one statement (issue 16: one query instead of three,
#: each of which cost more Django work than database time). A patient's row
#: comes with the bounds of their own today (``medications.recurrence``'s rule for
#: midnight, worked out in Python) and what the member may read; a number the
#: member may not see is not counted at all. Doses are read from the few days
#: around now only (the ``(patient, scheduled_for)`` index), never the history.
NUMBERS = """
SELECT card.patient_id,
       count(*) FILTER (WHERE dose.today) AS total,
       count(*) FILTER (WHERE dose.today AND dose.status = 'taken') AS taken,
       count(*) FILTER (WHERE dose.today AND dose.status = 'skipped') AS skipped,
       count(*) FILTER (WHERE dose.today AND dose.status = 'missed') AS missed,
       count(*) FILTER (WHERE dose.status = 'missed' AND dose.scheduled_for >= %(recent)s)
           AS missed_lately,
       CASE WHEN card.measurements THEN (
           SELECT count(*) FROM measurements m
           WHERE m.patient_id = card.patient_id AND m.out_of_range
             AND m.measured_at >= %(recent)s
       ) ELSE 0 END AS flagged,
       CASE WHEN card.medications THEN (
           SELECT json_agg(json_build_object('pk', m.id, 'name', m.name) ORDER BY m.name)
           FROM medications m
           WHERE m.patient_id = card.patient_id AND m.status = 'active'
             AND m.quantity_on_hand <= m.refill_threshold
       ) END AS low_stock,
       CASE WHEN card.invitations THEN (
           SELECT count(*) FROM caregiver_invitations i
           WHERE i.patient_id = card.patient_id AND i.status = 'pending'
             AND i.expires_at > %(now)s
       ) ELSE 0 END AS invitations
FROM unnest(%(ids)s::uuid[], %(starts)s::timestamptz[], %(ends)s::timestamptz[],
            %(doses)s::boolean[], %(measurements)s::boolean[], %(medications)s::boolean[],
            %(invitations)s::boolean[])
     AS card(patient_id, day_start, day_end, doses, measurements, medications, invitations)
LEFT JOIN LATERAL (
    SELECT d.status, d.scheduled_for,
           d.scheduled_for >= card.day_start AND d.scheduled_for < card.day_end AS today
    FROM doses d
    WHERE card.doses AND d.patient_id = card.patient_id AND d.schedule_id IS NOT NULL
      AND d.scheduled_for >= least(card.day_start, %(recent)s)
      AND d.scheduled_for < greatest(card.day_end, %(now)s)
) dose ON true
GROUP BY card.patient_id, card.measurements, card.medications, card.invitations
"""


def _numbers(cards: list[Card], now: dt.datetime) -> None:
    """Each patient's own today (their zone) and what needs attention: doses
    missed lately, readings outside their targets, medications running low,
    invitations waiting (one query).
    Each number only for a member whose level lets them see it."""
    if not cards:
        return
    readable = {
        area: set(_ids(cards, area)) for area in (Area.DOSES, Area.MEASUREMENTS, Area.MEDICATIONS)
    }
    managing = set(_ids(cards, Area.CAREGIVERS, Level.MANAGE))
    params: dict[str, Any] = {key: [] for key in ("ids", "starts", "ends", "doses")}
    params.update(measurements=[], medications=[], invitations=[], recent=now - ATTENTION, now=now)
    for card in cards:
        patient = card.patient
        day = patient.today(now)
        params["ids"].append(patient.pk)
        params["starts"].append(start_of_day(day, patient.zone))
        params["ends"].append(start_of_day(day + dt.timedelta(days=1), patient.zone))
        params["doses"].append(patient.pk in readable[Area.DOSES])
        params["measurements"].append(patient.pk in readable[Area.MEASUREMENTS])
        params["medications"].append(patient.pk in readable[Area.MEDICATIONS])
        params["invitations"].append(patient.pk in managing)
    by_id = {card.patient.pk: card for card in cards}
    with connection.cursor() as cursor:
        cursor.execute(NUMBERS, params)
        for pk, total, taken, skipped, missed, lately, flagged, low, invitations in cursor:
            card = by_id[pk]
            if pk in readable[Area.DOSES]:
                card.progress = Progress(total, taken, skipped, missed)
                card.missed = lately
            card.flagged, card.invitations = flagged, invitations
            card.low_stock = [LowStock(uuid.UUID(item["pk"]), item["name"]) for item in low or []]
