"""The caregiver's start page, for all their patients at once: a fixed number of
queries however many patients, medications and days of history there are."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Window

from accounts.models import User
from appointments.models import Appointment
from appointments.models import Status as AppointmentStatus
from caregivers.models import CaregiverInvitation, InvitationStatus
from doses.models import Dose, DoseStatus
from doses.selectors import DUE_SOON, Row, needing_refill, state_of
from doses.services import missed_after
from measurements.models import Measurement
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


@dataclass
class Card:
    """One patient on the dashboard: today's progress and what needs attention."""

    patient: Patient
    can_record: bool = False
    progress: Progress | None = None
    missed: int = 0
    flagged: int = 0
    low_stock: list[Any] = field(default_factory=list)
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
        .order_by("name")
    )
    cards = [Card(patient) for patient in patients]
    by_id = {card.patient.pk: card for card in cards}
    doses_ids = _ids(cards, Area.DOSES)
    for pk in _ids(cards, Area.DOSES, Level.WRITE):
        by_id[pk].can_record = True
    due = _due(doses_ids, by_id, now)
    _progress(doses_ids, by_id, now)
    _flagged(_ids(cards, Area.MEASUREMENTS), by_id, now)
    for medication in needing_refill(_ids(cards, Area.MEDICATIONS)):
        by_id[medication.patient_id].low_stock.append(medication)
    _invitations(_ids(cards, Area.CAREGIVERS, Level.MANAGE), by_id, now)
    appointments = list(
        Appointment.objects.filter(
            patient_id__in=_ids(cards, Area.APPOINTMENTS),
            status=AppointmentStatus.SCHEDULED,
            starts_at__gte=now,
        )
        .select_related("patient")
        .order_by("starts_at")[:5]
    )
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
        .order_by("scheduled_for", "medication__name")[:DUE_ROWS]
    )
    rows = []
    for dose in doses:
        card = by_id[dose.patient_id]
        dose.patient = card.patient  # (already loaded, with the membership)
        rows.append((Row(dose, state_of(dose, now)), card))
    return rows


def _progress(ids: list[uuid.UUID], by_id: dict[uuid.UUID, Card], now: dt.datetime) -> None:
    """Each patient's own today (their zone), and doses missed lately (one query).

    The rows of the few days around now are counted here rather than in SQL: each
    patient's day has its own bounds, and an OR of per-patient ranges inside every
    ``Count(filter=...)`` cost more to build than the query took to run (issue 16).
    The rows read grow with the doses of three days, never with the history."""
    if not ids:
        return
    bounds = {}
    earliest = recent = now - ATTENTION
    latest = now
    for pk in ids:
        patient = by_id[pk].patient
        day = patient.today(now)
        start = start_of_day(day, patient.zone)
        end = start_of_day(day + dt.timedelta(days=1), patient.zone)
        bounds[pk] = (start, end)
        earliest, latest = min(earliest, start), max(latest, end)
    progress = {pk: Progress() for pk in ids}
    missed: dict[uuid.UUID, int] = defaultdict(int)
    rows = Dose.objects.filter(
        patient_id__in=ids,
        schedule__isnull=False,
        scheduled_for__gte=earliest,
        scheduled_for__lt=latest,
    ).values_list("patient_id", "status", "scheduled_for")
    for patient_id, status, at in rows:
        assert at is not None  # scheduled_for is NOT NULL
        if status == DoseStatus.MISSED and at >= recent:
            missed[patient_id] += 1
        start, end = bounds[patient_id]
        if start <= at < end:
            today = progress[patient_id]
            today.total += 1
            if status == DoseStatus.TAKEN:
                today.taken += 1
            elif status == DoseStatus.SKIPPED:
                today.skipped += 1
            elif status == DoseStatus.MISSED:
                today.missed += 1
    for pk, today in progress.items():
        by_id[pk].progress = today
        by_id[pk].missed = missed[pk]


def _flagged(ids: list[uuid.UUID], by_id: dict[uuid.UUID, Card], now: dt.datetime) -> None:
    rows = (
        Measurement.objects.filter(
            patient_id__in=ids, out_of_range=True, measured_at__gte=now - ATTENTION
        )
        .values("patient_id")
        .annotate(count=Count("pk"))
        .order_by()
    )
    for row in rows:
        by_id[row["patient_id"]].flagged = row["count"]


def _invitations(ids: list[uuid.UUID], by_id: dict[uuid.UUID, Card], now: dt.datetime) -> None:
    """Invitations still waiting for an answer, for those who manage the team."""
    counts: dict[uuid.UUID, int] = defaultdict(int)
    for patient_id in CaregiverInvitation.objects.filter(
        patient_id__in=ids, status=InvitationStatus.PENDING, expires_at__gt=now
    ).values_list("patient_id", flat=True):
        counts[patient_id] += 1
    for patient_id, count in counts.items():
        by_id[patient_id].invitations = count
