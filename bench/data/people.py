"""The people of a family and the helpers every part of it uses."""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bench.data.rows import Batch, Ids
from medications.recurrence import local_instant

ONE_DAY = dt.timedelta(days=1)
#: Stand-ins for ids in URLs reversed once per patient.
APPOINTMENT_ID = uuid.UUID(int=1)
MEDICATION_ID = uuid.UUID(int=2)


@dataclass
class Member:
    user_id: uuid.UUID
    role: str
    email_enabled: bool


@dataclass
class Family:
    user_id: uuid.UUID
    email: str
    patient_ids: list[uuid.UUID] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)


@dataclass
class PatientInfo:
    id: uuid.UUID
    name: str
    zone: ZoneInfo
    first_day: dt.date
    today: dt.date
    adherence: float
    urls: dict[str, str]


def local_time(day: dt.date, hour: float, zone: ZoneInfo) -> dt.datetime:
    minutes = int(hour * 60)
    return local_instant(day, dt.time(minutes // 60, minutes % 60), zone)


def writer_of(rng: random.Random, family: Family) -> uuid.UUID:
    writers = [m.user_id for m in family.members if m.role != "viewer"]
    return writers[0] if len(writers) == 1 or rng.random() < 0.7 else rng.choice(writers)


def notify(
    rng: random.Random,
    batch: Batch,
    ids: Ids,
    family: Family,
    patient: PatientInfo,
    now: dt.datetime,
    type: str,
    title: str,
    body: str,
    url: str,
    data: dict[str, object],
    key: str,
    at: dt.datetime,
) -> None:
    payload = json.dumps(data)
    for member in family.members:
        read = None
        if at < now - dt.timedelta(days=3) or rng.random() < 0.5:
            read = at + dt.timedelta(minutes=rng.randrange(5, 2000))
            read = read if read <= now else None
        emailed = at + dt.timedelta(minutes=1) if member.email_enabled else None
        batch.add(
            "notifications",
            ids(),
            member.user_id,
            patient.id,
            type,
            title,
            body,
            url,
            payload,
            key,
            read,
            emailed,
            at,
        )
