"""One pushed item: what it says, and what the push answers for it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from patients.models import Patient
from sync.entities import Entity, record
from sync.pull import current


@dataclass
class Result:
    entity: str
    id: str
    status: str  # applied | unchanged | conflict | error
    version: int | None = None
    record: dict[str, Any] | None = None
    conflict: dict[str, Any] | None = None
    error: str = ""
    message: str = ""
    fields: dict[str, list[str]] = field(default_factory=dict)
    patient_id: uuid.UUID | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"entity": self.entity, "id": self.id, "status": self.status}
        if self.status == "error":
            out["error"] = {"code": self.error, "message": self.message, "fields": self.fields}
        else:
            out["version"] = self.version
            out["record"] = self.record
        if self.conflict is not None:
            out["conflict"] = self.conflict
        return out


class ItemError(Exception):
    def __init__(self, code: str, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.code, self.message, self.fields = code, message, fields or {}


@dataclass
class Item:
    entity: Entity
    op: str
    id: uuid.UUID
    patient_id: uuid.UUID
    data: dict[str, Any]
    base_version: int | None
    base: dict[str, Any] | None


def result_for(item: Item, patient: Patient, status: str) -> Result:
    instance, version = current(item.entity, item.id)
    data = record(item.entity, instance) if instance is not None else None
    return Result(
        item.entity.name,
        str(item.id),
        status,
        version=version,
        record=data,
        patient_id=patient.pk,
    )


def conflict_for(item: Item, patient: Patient) -> Result:
    result = result_for(item, patient, "conflict")
    result.conflict = {
        "server": {"version": result.version, "record": result.record},
        "client": {"base_version": item.base_version, "data": item.data},
    }
    return result
