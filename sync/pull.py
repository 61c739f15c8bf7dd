"""The pull: every change a client has not seen, for the patients it may see, in pages.

The cursor
----------
A cursor is opaque to clients (signed JSON, for one user). It holds

* ``since``: a PostgreSQL snapshot (``pg_current_snapshot()`` as text) up to
  which the client has every change of its ``known`` patients;
* ``until`` and ``after``: while a round is being paged, the snapshot the
  round serves up to and the position (transaction id, sequence) reached;
* ``known`` / ``fresh``: the patients the client holds, with a fingerprint of
  the areas it may read; ``fresh`` ones are being sent whole in this round.

A round serves the changes whose writing transaction is visible in ``until``
and was not visible in ``since`` (``pg_visible_in_snapshot``). A transaction
that had not committed when ``since`` was taken (whatever its id) is therefore
served in a later round, once it has committed: nothing committed late is
skipped, and nothing waits for unrelated long transactions. Entries that
change again while a round is paged leave it and come in the next round.

Patients are compared with the access policy on every pull: one the user can
no longer see (left the team, deleted) or whose readable areas changed gets a
tombstone, and one they newly see is sent whole from the next round on.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core import signing
from django.db import connection
from django.db.models import OuterRef, Subquery

from accounts.models import User
from caregivers.models import PatientCaregiver
from patients.access import Level, level_for
from sync.entities import ENTITIES, Entity, record
from sync.models import Change

DEFAULT_LIMIT = 500
MAX_LIMIT = 1000
_SNAPSHOT = re.compile(r"^\d{1,20}:\d{1,20}:(\d{1,20}(,\d{1,20})*)?$")


class BadCursor(ValueError):
    """The cursor was not made by this server (or was altered)."""


@dataclass
class Cursor:
    since: str = ""
    until: str = ""
    after: tuple[int, int] = (0, 0)
    known: dict[str, str] = field(default_factory=dict)
    fresh: dict[str, str] = field(default_factory=dict)

    def encode(self, *, user: Any) -> str:
        """Signed with the server's key and for this user alone: a cursor a client
        altered, or another user's, is refused rather than trusted."""
        payload = {
            "v": 1,
            "s": self.since,
            "u": self.until,
            "a": list(self.after),
            "k": self.known,
            "f": self.fresh,
        }
        return signing.dumps(payload, salt=_salt(user), compress=True)

    @classmethod
    def decode(cls, text: str, *, user: Any) -> Cursor:
        if not text:
            return cls()
        if len(text) > 20_000:
            raise BadCursor
        try:
            payload = signing.loads(text, salt=_salt(user))
        except signing.BadSignature:
            raise BadCursor from None
        if not isinstance(payload, dict) or payload.get("v") != 1:
            raise BadCursor
        since, until, after = payload.get("s"), payload.get("u"), payload.get("a")
        known, fresh = payload.get("k"), payload.get("f")
        if not (
            isinstance(since, str)
            and isinstance(until, str)
            and isinstance(after, list)
            and len(after) == 2
            and all(isinstance(part, int) and 0 <= part < 2**63 for part in after)
            and isinstance(known, dict)
            and isinstance(fresh, dict)
            and all(isinstance(value, str) for value in [*known.values(), *fresh.values()])
        ):
            raise BadCursor
        for snapshot in (since, until):
            if snapshot and not _SNAPSHOT.match(snapshot):
                raise BadCursor
        for patient_id in [*known, *fresh]:
            try:
                uuid.UUID(patient_id)
            except ValueError:
                raise BadCursor from None
        if (known and not since) or (fresh and not until):
            raise BadCursor
        return cls(since, until, (after[0], after[1]), known, fresh)


def _salt(user: Any) -> str:
    return f"medtrack.sync.cursor:{user.pk}"


@dataclass
class Page:
    changes: list[dict[str, Any]]
    cursor: Cursor
    has_more: bool
    patient_ids: set[uuid.UUID]


def readable(user: User) -> dict[str, set[str]]:
    """Patient id → the entities ``user`` may read there, by the access policy."""
    memberships = PatientCaregiver.objects.filter(
        caregiver=user, is_active=True, patient__is_deleted=False
    ).values_list("patient_id", "role", "permissions")
    return {
        str(patient_id): {
            entity.name
            for entity in ENTITIES.values()
            if level_for(role, permissions, entity.area) >= Level.READ
        }
        for patient_id, role, permissions in memberships
    }


def _fingerprint(entities: set[str]) -> str:
    return hashlib.sha256(",".join(sorted(entities)).encode()).hexdigest()[:12]


def _tombstone(patient_id: str) -> dict[str, Any]:
    return {
        "entity": "patients",
        "id": patient_id,
        "patient_id": patient_id,
        "deleted": True,
        "version": None,
        "data": None,
    }


def _current_snapshot() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_snapshot()::text")
        (snapshot,) = cursor.fetchone()
    return str(snapshot)


_CHANGES = """
SELECT c.entity, c.entity_id, c.patient_id, c.deleted, c.seq, c.txid
FROM sync_changes c
JOIN unnest(%(pair_patients)s::uuid[], %(pair_entities)s::text[]) AS a(patient_id, entity)
  ON a.patient_id = c.patient_id AND a.entity = c.entity
WHERE (
        (c.patient_id = ANY (%(known)s::uuid[])
         AND c.txid >= pg_snapshot_xmin(%(since)s::pg_snapshot)::text::bigint
         AND NOT pg_visible_in_snapshot(c.txid::text::xid8, %(since)s::pg_snapshot))
     OR (c.patient_id = ANY (%(fresh)s::uuid[]) AND NOT c.deleted)
      )
  AND pg_visible_in_snapshot(c.txid::text::xid8, %(until)s::pg_snapshot)
  AND (c.txid, c.seq) > (%(after_txid)s, %(after_seq)s)
ORDER BY c.txid, c.seq
LIMIT %(limit)s
"""


def changes_page(*, user: User, cursor: Cursor, limit: int = DEFAULT_LIMIT) -> Page:
    """The next page of changes after ``cursor`` for ``user`` (run as that user)."""
    allowed = readable(user)
    fingerprints = {patient_id: _fingerprint(names) for patient_id, names in allowed.items()}
    out: list[dict[str, Any]] = []
    known, fresh = dict(cursor.known), dict(cursor.fresh)
    for holding in (known, fresh):
        for patient_id, fingerprint in list(holding.items()):
            if fingerprints.get(patient_id) != fingerprint:
                del holding[patient_id]  # gone, or its areas changed: sent whole next round
                out.append(_tombstone(patient_id))
    until, after = cursor.until, cursor.after
    if not until:  # a new round: those newly visible join it, sent whole
        until, after = _current_snapshot(), (0, 0)
        fresh = {
            patient_id: fingerprint
            for patient_id, fingerprint in fingerprints.items()
            if patient_id not in known
        }
    serving = {**known, **fresh}
    pairs = [(patient_id, name) for patient_id in serving for name in allowed[patient_id]]
    with connection.cursor() as db:
        db.execute(
            _CHANGES,
            {
                "pair_patients": [patient for patient, _ in pairs],
                "pair_entities": [name for _, name in pairs],
                "known": list(known),
                "fresh": list(fresh),
                "since": cursor.since or until,
                "until": until,
                "after_txid": after[0],
                "after_seq": after[1],
                "limit": limit + 1,
            },
        )
        rows = db.fetchall()
    has_more = len(rows) > limit
    rows = rows[:limit]
    out.extend(_records(rows))
    if has_more:
        last = rows[-1]
        next_cursor = Cursor(cursor.since, until, (last[5], last[4]), known, fresh)
    else:
        next_cursor = Cursor(until, "", (0, 0), {**known, **fresh}, {})
    return Page(
        changes=out,
        cursor=next_cursor,
        has_more=has_more,
        patient_ids={uuid.UUID(patient_id) for patient_id in serving},
    )


def _records(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The page's entries with each live record's current values: one query per entity."""
    wanted: dict[str, list[uuid.UUID]] = defaultdict(list)
    for entity_name, entity_id, _patient, deleted, _seq, _txid in rows:
        if not deleted:
            wanted[entity_name].append(entity_id)
    found: dict[tuple[str, uuid.UUID], tuple[int, dict[str, Any]]] = {}
    for entity_name, ids in wanted.items():
        entity = ENTITIES[entity_name]
        for instance in _with_version(entity).filter(pk__in=ids):
            found[(entity_name, instance.pk)] = (instance.sync_version, record(entity, instance))
    out = []
    for entity_name, entity_id, patient_id, deleted, seq, _txid in rows:
        if deleted:
            out.append(
                {
                    "entity": entity_name,
                    "id": str(entity_id),
                    "patient_id": str(patient_id),
                    "deleted": True,
                    "version": seq,
                    "data": None,
                }
            )
            continue
        hit = found.get((entity_name, entity_id))
        if hit is None:
            continue  # deleted since (its tombstone comes next round), or not a document
        version, data = hit
        out.append(
            {
                "entity": entity_name,
                "id": str(entity_id),
                "patient_id": str(patient_id),
                "deleted": False,
                "version": version,
                "data": data,
            }
        )
    return out


def _with_version(entity: Entity) -> Any:
    """The entity's rows with ``sync_version``, read in the same statement as the
    values (so a version always belongs to the values sent with it)."""
    return entity.queryset().annotate(
        sync_version=Subquery(
            Change.objects.filter(entity=entity.name, entity_id=OuterRef("pk")).values("seq")[:1]
        )
    )


def current(entity: Entity, entity_id: uuid.UUID) -> tuple[Any, int | None]:
    """One record as a client would read it now, with its version (or None, None)."""
    instance = _with_version(entity).filter(pk=entity_id).first()
    if instance is None:
        return None, None
    return instance, instance.sync_version
