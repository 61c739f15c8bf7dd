"""The caregiver's start page, for all their patients at once: a fixed number of
queries however many patients, medications and days of history there are."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from accounts.models import User
from doses.selectors import DUE_SOON, Row, rows
from doses.services import missed_after
from medications.recurrence import local_instant_sql
from patients.access import Area, Level, can
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


@dataclass(frozen=True)
class Coming:
    """A booked appointment of one of my patients, soonest first."""

    pk: uuid.UUID
    patient: Patient
    starts_at: dt.datetime
    title: str

    @property
    def patient_id(self) -> uuid.UUID:
        return self.patient.pk


@dataclass(frozen=True)
class Unread:
    """An unread notification: the title, and the link through its ``pk``."""

    pk: uuid.UUID
    title: str


@dataclass
class Dashboard:
    cards: list[Card]
    due: list[tuple[Row, Card]]
    appointments: list[Coming]
    unread: Sequence[Unread]
    unread_count: int

    @property
    def attention(self) -> list[Card]:
        return [card for card in self.cards if card.needs_attention]


def _ids(cards: list[Card], area: Area, need: Level = Level.READ) -> list[uuid.UUID]:
    return [card.patient.pk for card in cards if can(card.patient, area, need)]


#: The next five appointments of the patients whose appointments I may see.
COMING = """
SELECT id, patient_id, starts_at, title FROM appointments
WHERE patient_id = ANY(%(ids)s) AND status = 'scheduled' AND starts_at >= %(now)s
ORDER BY starts_at, id LIMIT 5
"""

#: My three newest unread notifications, and how many are unread in all.
UNREAD = """
SELECT id, title, count(*) OVER () FROM notifications
WHERE user_id = %s AND read_at IS NULL
ORDER BY created_at DESC, id DESC LIMIT 3
"""


def dashboard(user: User, now: dt.datetime) -> Dashboard:
    """The cards, the doses due, the appointments coming and the unread
    notifications, in five statements. The cards, appointments and notifications
    are plain SQL into small read-only rows: the page is the one every caregiver
    opens first, and the Django ORM's work for each query (building, compiling,
    making model instances) cost more than the database's (issue 16,
    docs/performance.md)."""
    params = {"user": user.pk, "now": now, "recent": now - ATTENTION}
    cards = [_card(patient) for patient in Patient.objects.raw(CARDS, params)]
    by_id = {card.patient.pk: card for card in cards}
    due = _due(_ids(cards, Area.DOSES), by_id, now)
    with connection.cursor() as cursor:
        cursor.execute(COMING, {"ids": _ids(cards, Area.APPOINTMENTS), "now": now})
        coming = [
            Coming(pk, by_id[patient_id].patient, starts_at, title)
            for pk, patient_id, starts_at, title in cursor.fetchall()
        ]
        cursor.execute(UNREAD, [user.pk])
        newest = cursor.fetchall()
    unread = [Unread(pk, title) for pk, title, _count in newest]
    return Dashboard(cards, due, coming, unread, newest[0][2] if newest else 0)


def _due(ids: list[uuid.UUID], by_id: dict[uuid.UUID, Card], now: dt.datetime) -> list:
    """Doses due now and overdue (not yet missed), soonest first (one query)."""
    where = (
        "d.patient_id = ANY(%(ids)s) AND d.status = 'pending'"
        " AND d.scheduled_for >= %(since)s AND d.scheduled_for <= %(until)s"
    )
    params = {"ids": ids, "since": now - missed_after(), "until": now + DUE_SOON}
    due = []
    for row in rows(where, params, now, limit=DUE_ROWS):
        card = by_id[row.dose.patient_id]
        row.dose.patient = card.patient  # (already loaded, with the membership)
        due.append((row, card))
    return due


_START_JOINS, _START = local_instant_sql("local.midnight", "p.timezone", "day_start")
_END_JOINS, _END = local_instant_sql("local.midnight + interval '1 day'", "p.timezone", "day_end")

#: The user's patients, each with their membership and their card's numbers, in
#: one statement (issue 16: the patients and four more queries before, each of
#: which cost more Django work than database time). A patient's today runs from
#: their own midnight (``medications.recurrence``'s rules, ``local_instant_sql``)
#: to the next; doses are read from the few days around now only (the
#: ``(patient, scheduled_for)`` index), never the history. Row level security
#: applies as to any query; which numbers the member may see is the access
#: policy's answer, asked in ``_card``.
CARDS = f"""
SELECT p.id, p.name, p.timezone,
       pc.role AS membership_role, pc.permissions::json AS membership_permissions,
       today.total AS card_total, today.taken AS card_taken, today.skipped AS card_skipped,
       today.missed AS card_missed, today.missed_lately AS card_missed_lately,
       (SELECT count(*) FROM measurements m
        WHERE m.patient_id = p.id AND m.out_of_range AND m.measured_at >= %(recent)s
       ) AS card_flagged,
       -- doses.selectors.needing_refill's rule (test_cards holds the two together)
       (SELECT json_agg(json_build_object('pk', m.id, 'name', m.name) ORDER BY m.name)
        FROM medications m
        WHERE m.patient_id = p.id AND m.status = 'active'
          AND m.quantity_on_hand <= m.refill_threshold
       ) AS card_low_stock,
       (SELECT count(*) FROM caregiver_invitations i
        WHERE i.patient_id = p.id AND i.status = 'pending' AND i.expires_at > %(now)s
       ) AS card_invitations
FROM patients p
JOIN patient_caregivers pc
  ON pc.patient_id = p.id AND pc.caregiver_id = %(user)s AND pc.is_active
CROSS JOIN LATERAL (SELECT date_trunc('day', %(now)s AT TIME ZONE p.timezone) AS midnight) local
{_START_JOINS}
{_END_JOINS}
CROSS JOIN LATERAL (SELECT {_START} AS starts, {_END} AS ends OFFSET 0) day
CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE d.today) AS total,
           count(*) FILTER (WHERE d.today AND d.status = 'taken') AS taken,
           count(*) FILTER (WHERE d.today AND d.status = 'skipped') AS skipped,
           count(*) FILTER (WHERE d.today AND d.status = 'missed') AS missed,
           count(*) FILTER (WHERE d.status = 'missed' AND d.scheduled_for >= %(recent)s)
               AS missed_lately
    FROM (
        SELECT status, scheduled_for,
               scheduled_for >= day.starts AND scheduled_for < day.ends AS today
        FROM doses
        WHERE patient_id = p.id AND schedule_id IS NOT NULL
          AND scheduled_for >= least(day.starts, %(recent)s)
          AND scheduled_for < greatest(day.ends, %(now)s)
    ) d
) today
WHERE NOT p.is_deleted
ORDER BY p.name
"""  # noqa: S608 - the fragments are constants; values go as parameters


def _card(patient: Any) -> Card:
    """A patient's card from their ``CARDS`` row (its numbers as ``card_*``,
    apart from the model's related names): each number only when the member's
    level lets them see it."""
    card = Card(patient)
    if can(patient, Area.DOSES, Level.READ):
        card.can_record = can(patient, Area.DOSES, Level.WRITE)
        card.progress = Progress(
            patient.card_total, patient.card_taken, patient.card_skipped, patient.card_missed
        )
        card.missed = patient.card_missed_lately
    if can(patient, Area.MEASUREMENTS, Level.READ):
        card.flagged = patient.card_flagged
    if can(patient, Area.MEDICATIONS, Level.READ):
        low = patient.card_low_stock or []
        card.low_stock = [LowStock(uuid.UUID(m["pk"]), m["name"]) for m in low]
    if can(patient, Area.CAREGIVERS, Level.MANAGE):
        card.invitations = patient.card_invitations
    return card
