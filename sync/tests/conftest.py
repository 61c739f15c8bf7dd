"""A sync client for the tests: pulls every page into a mirror, pushes batches.

The pull serves only committed transactions, so tests that pull what they
wrote earlier run with ``transaction=True`` (each request then commits, as in
production).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client

from accounts import tokens
from accounts.models import User
from medtrack.rls import acting_as


def make_token(user: User, name: str = "Phone") -> str:
    with acting_as(user.pk):
        _token, secret = tokens.token_create(user=user, name=name, scopes=["sync"])
    return secret


@dataclass
class Mirror:
    """What a client holds: entity → id → change (as pulled)."""

    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    cursor: str = ""

    def apply(self, change: dict[str, Any]) -> None:
        if change["deleted"] and change["entity"] == "patients":
            for entity in self.records.values():
                for record_id in [
                    key for key, held in entity.items() if held["patient_id"] == change["id"]
                ]:
                    del entity[record_id]
            return
        held = self.records.setdefault(change["entity"], {})
        if change["deleted"]:
            held.pop(change["id"], None)
        else:
            held[change["id"]] = change

    def get(self, entity: str, record_id: Any) -> dict[str, Any]:
        return self.records[entity][str(record_id)]

    def data(self) -> dict[str, dict[str, Any]]:
        """Every record's values (what two converged clients must agree on)."""
        return {
            entity: {record_id: held["data"] for record_id, held in records.items()}
            for entity, records in self.records.items()
            if records
        }


class Api:
    def __init__(self, secret: str, client_id: str = "test-phone") -> None:
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
        self.client_id = client_id
        self.mirror = Mirror()

    def get(self, cursor: str = "", limit: int | None = None) -> Any:
        params: dict[str, Any] = {"cursor": cursor, "client_id": self.client_id}
        if limit:
            params["limit"] = limit
        return self.client.get("/api/v1/sync/changes", params)

    def pull(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Every page until has_more is false; the changes received."""
        received = []
        while True:
            response = self.get(self.mirror.cursor, limit)
            assert response.status_code == 200, response.content
            body = response.json()
            for change in body["changes"]:
                self.mirror.apply(change)
            received.extend(body["changes"])
            self.mirror.cursor = body["cursor"]
            if not body["has_more"]:
                return received

    def post(self, changes: list[dict[str, Any]]) -> Any:
        return self.client.post(
            "/api/v1/sync/push",
            {"client_id": self.client_id, "changes": changes},
            content_type="application/json",
        )

    def push(self, changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        response = self.post(changes)
        assert response.status_code == 200, response.content
        return response.json()["results"]

    def edit(self, entity: str, record_id: Any, **data: Any) -> dict[str, Any]:
        """An upsert of a record the mirror holds, based on its pulled version."""
        held = self.mirror.get(entity, record_id)
        return {
            "entity": entity,
            "op": "upsert",
            "id": str(record_id),
            "patient_id": held["patient_id"],
            "base_version": held["version"],
            "base": {name: held["data"][name] for name in data},
            "data": data,
        }


def new_item(entity: str, patient_id: Any, **data: Any) -> dict[str, Any]:
    return {
        "entity": entity,
        "op": "upsert",
        "id": str(uuid.uuid4()),
        "patient_id": str(patient_id),
        "data": data,
    }


@pytest.fixture
def api(primary: User) -> Api:
    return Api(make_token(primary))
