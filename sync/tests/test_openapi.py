"""The sync API's OpenAPI document: valid, complete, and true to the answers.

* The served document is valid OpenAPI 3 and describes exactly the API's routes
  (walked from the URLconf) and every synced entity.
* Real answers (every page of a pull, a push with each kind of result, the
  errors) conform to it, checked by schemathesis' own checks.
* A fuzzer (the schemathesis CLI, positive and negative inputs) runs against
  a live server and fails the test on any failed check.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import requests
import schemathesis
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from openapi_spec_validator import validate
from schemathesis import checks as st_checks

from accounts import tokens
from accounts.models import User
from measurements.models import Measurement
from medtrack.rls import acting_as
from patients.models import Patient
from sync.entities import ENTITIES

DOCUMENT = "/api/v1/openapi.json"
API_PREFIX = "/api/v1/"
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
)
#: Per operation and phase; two operations, positive and negative inputs.
MAX_EXAMPLES = 40
FUZZ_TIMEOUT = 240  # seconds: far above the ~60 s it takes, only so a hang cannot block CI


def sync_token(user: User, name: str = "Fuzzer") -> str:
    with acting_as(user.pk):
        _token, secret = tokens.token_create(user=user, name=name, scopes=["sync"])
    return secret


def api_routes(patterns: list[Any] | None = None, prefix: str = "/") -> Iterator[tuple[str, Any]]:
    """(path, view) of every route in the URLconf."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from api_routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


# -- The document -------------------------------------------------------------------------


def served_document(client: Client) -> dict[str, Any]:
    response = client.get(DOCUMENT)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


@pytest.mark.django_db
def test_the_served_document_is_valid_openapi_3_and_describes_the_whole_api(
    client: Client,
) -> None:
    document = served_document(client)
    validate(document)  # raises on any error (openapi-spec-validator, OpenAPI 3.0 rules)
    assert document["openapi"].startswith("3.")
    assert document["servers"] == [{"url": "http://testserver"}]

    routes = {path: view for path, view in api_routes() if path.startswith(API_PREFIX)}
    assert DOCUMENT in routes
    # The document describes the API, not itself; everything else under /api/v1/ is
    # the token API, and is in the document, with the methods the view answers.
    token_routes = {path for path, view in routes.items() if getattr(view, "token_authenticated", 0)}
    assert set(routes) - token_routes == {DOCUMENT}
    assert set(document["paths"]) == token_routes
    for path in token_routes:
        allowed = {
            method
            for method in METHODS
            if client.generic(method, path).status_code != 405
        }
        documented = {method.upper() for method in document["paths"][path]}
        assert documented == allowed, path

    schemas = document["components"]["schemas"]
    for name in ENTITIES:
        assert f"{name}_record" in schemas, name
        assert f"{name}_write" in schemas, name
        assert schemas[f"{name}_record"]["additionalProperties"] is False
    change = schemas["Change"]["properties"]
    assert change["entity"]["enum"] == list(ENTITIES)
    assert change["data"]["anyOf"] == [
        {"$ref": f"#/components/schemas/{name}_record"} for name in ENTITIES
    ]
    assert schemas["PushItem"]["properties"]["entity"]["enum"] == list(ENTITIES)


@pytest.mark.django_db
def test_every_operation_documents_auth_and_the_rate_limit(client: Client) -> None:
    document = served_document(client)
    assert document["security"] == [{"token": []}]
    assert document["components"]["securitySchemes"]["token"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["token"]["description"],
    }
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            where = f"{method.upper()} {path}"
            assert {"200", "400", "401", "429"} <= set(responses), where
            throttled = responses["429"]
            assert throttled["headers"]["Retry-After"]["required"] is True, where
            assert throttled["headers"]["Retry-After"]["schema"] == {"type": "integer"}, where
            assert "application/json" in throttled["content"], where


# -- Real answers against the document -----------------------------------------------------


class Api:
    """The Django test client, each answer checked against the document with
    schemathesis' checks (status, content type, headers, body schema; $refs resolved,
    OpenAPI 3.0 ``nullable`` understood)."""

    CHECKED = tuple(getattr(st_checks, name) for name in CHECKS)

    def __init__(self, client: Client, secret: str | None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        self.schema = schemathesis.openapi.from_dict(served_document(client))
        self.validated: list[tuple[str, int]] = []

    def _check(self, method: str, path: str, response: Any, **parts: Any) -> Any:
        operation = self.schema[path][method]
        case = operation.Case(headers=dict(self.headers), **parts)
        body = json.dumps(parts["body"]).encode() if "body" in parts else None
        request = requests.Request(
            method, f"http://testserver{path}", params=parts.get("query"), data=body,
            headers={**self.headers, **({"Content-Type": "application/json"} if body else {})},
        ).prepare()
        answer = schemathesis.Response(
            status_code=response.status_code,
            headers={name: [value] for name, value in response.headers.items()},
            content=response.content,
            request=request,
            elapsed=0.0,
            verify=True,
        )
        case.validate_response(answer, checks=list(self.CHECKED))
        self.validated.append((f"{method} {path}", response.status_code))
        return response.json()

    def pull(self, status: int = 200, **query: Any) -> dict[str, Any]:
        path = "/api/v1/sync/changes"
        response = self.client.get(path, query, headers=self.headers)
        assert response.status_code == status, response.content
        return self._check("GET", path, response, query=query)

    def push(self, changes: Any, status: int = 200, **more: Any) -> dict[str, Any]:
        path = "/api/v1/sync/push"
        body = {"client_id": "test", "changes": changes, **more}
        response = self.client.post(
            path, body, content_type="application/json", headers=self.headers
        )
        assert response.status_code == status, response.content
        return self._check("POST", path, response, body=body, media_type="application/json")


def pull_all(api: Api, cursor: str = "", limit: int = 3) -> tuple[list[dict[str, Any]], str]:
    changes: list[dict[str, Any]] = []
    for _page in range(200):
        page = api.pull(cursor=cursor, limit=limit, client_id="test") if cursor else api.pull(
            limit=limit, client_id="test"
        )
        changes += page["changes"]
        cursor = page["cursor"]
        if not page["has_more"]:
            return changes, cursor
    raise AssertionError("the pull never ends")


@pytest.mark.django_db(transaction=True)
def test_real_answers_conform_to_the_document(
    client: Client, settings: Any, primary: User, patient: Patient
) -> None:
    settings.SYNC_RATE_LIMIT_PER_MINUTE = 10_000
    api = Api(client, sync_token(primary))

    changes, cursor = pull_all(api)
    entities = {change["entity"] for change in changes}
    assert entities == set(ENTITIES), f"the fixture has a row in every table: {entities}"
    assert all(change["data"] for change in changes)

    with acting_as(primary.pk):
        reading = Measurement.objects.get(patient=patient)
    by_id = {change["id"]: change for change in changes}
    version = by_id[str(reading.pk)]["version"]
    new_reading = {
        "entity": "measurements",
        "op": "upsert",
        "id": str(uuid.uuid4()),
        "patient_id": str(patient.pk),
        "data": {
            "type": "heart_rate",
            "value": "72",
            "unit": "/min",
            "measured_at": (timezone.now() - dt.timedelta(minutes=5)).isoformat(),
        },
    }
    edit = {
        "entity": "measurements",
        "op": "upsert",
        "id": str(reading.pk),
        "patient_id": str(patient.pk),
        "base_version": version,
        "data": {"notes": "after the walk"},
    }
    answer = api.push(
        [
            new_reading,  # applied
            new_reading,  # sent again: unchanged
            edit,  # applied (the version moves on)
            {**edit, "data": {"notes": "before the walk"}},  # from the old version: conflict
            {**new_reading, "id": str(uuid.uuid4()), "data": {"type": "heart_rate"}},  # error
            {"entity": "nope", "op": "upsert", "id": "x", "patient_id": "y"},  # error
            {**new_reading, "op": "delete"},  # applied: a tombstone in the next pull
        ]
    )
    assert [result["status"] for result in answer["results"]] == [
        "applied",
        "unchanged",
        "applied",
        "conflict",
        "error",
        "error",
        "applied",
    ]
    assert (answer["applied"], answer["unchanged"], answer["conflict"], answer["error"]) == (
        3,
        1,
        1,
        2,
    )

    later, _cursor = pull_all(api, cursor)
    assert {"deleted": True, "entity": "measurements", "id": new_reading["id"]}.items() <= next(
        change for change in later if change["id"] == new_reading["id"]
    ).items()

    # The documented errors, as served.
    api.pull(status=400, cursor="not-a-cursor")
    api.pull(status=400, limit=0)
    api.push("nope", status=400)
    api.push([], status=400, client_id=7)
    too_many = [new_reading] * 201
    api.push(too_many, status=413)
    response = client.post(
        "/api/v1/sync/push", "changes=[]", content_type="text/plain", headers=api.headers
    )
    assert response.status_code == 415
    api._check("POST", "/api/v1/sync/push", response, body="changes=[]",
               media_type="text/plain")
    anonymous = Api(client, None)
    anonymous.pull(status=401)
    anonymous.push([], status=401)
    wrong = Api(client, "mt_not-a-token")
    wrong.pull(status=401)
    assert sorted(set(api.validated + anonymous.validated)) == sorted(set(api.validated)) + []


@pytest.mark.django_db
def test_the_rate_limit_answers_as_documented(
    client: Client, settings: Any, primary: User
) -> None:
    settings.SYNC_RATE_LIMIT_PER_MINUTE = 2
    api = Api(client, sync_token(primary))
    api.pull()
    api.push([])
    response = client.get("/api/v1/sync/changes", headers=api.headers)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    api._check("GET", "/api/v1/sync/changes", response, query={})
    assert api.client.post(
        "/api/v1/sync/push", {"changes": []}, content_type="application/json",
        headers=api.headers,
    ).status_code == 429


# -- The fuzzer -----------------------------------------------------------------------------


def junit_summary(report: Path) -> str:
    root = ElementTree.parse(report).getroot()  # noqa: S314 - our own report
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    lines = []
    for suite in suites:
        for case in suite.iter("testcase"):
            failures = case.findall("failure") + case.findall("error")
            lines.append(f"  {case.get('name')}: {'FAILED' if failures else 'ok'}")
            for failure in failures:
                lines.append("    " + (failure.get("message") or "").splitlines()[0])
    return "\n".join(lines)


@pytest.mark.django_db(transaction=True)
def test_the_fuzzer_finds_nothing(
    live_server: Any, settings: Any, tmp_path: Path, primary: User, patient: Patient
) -> None:
    settings.SYNC_RATE_LIMIT_PER_MINUTE = 1_000_000  # the fuzzer is not throttled
    secret = sync_token(primary)
    st = Path(sys.executable).parent / "st"
    command = [
        str(st),
        "--no-color",
        "run",
        f"{live_server.url}{DOCUMENT}",
        "--header",
        f"Authorization: Bearer {secret}",
        "--checks",
        ",".join(CHECKS),
        "--mode",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        "20260601",
        "--workers",
        "2",
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        "--continue-on-failure",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
    ]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=FUZZ_TIMEOUT,
        cwd=tmp_path,  # no schemathesis.toml of the project's is picked up
        env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_TELEMETRY": "false"},
        check=False,
    )
    output = done.stdout + done.stderr
    summary = output[output.rfind("SUMMARY") :] if "SUMMARY" in output else output[-3000:]
    print(f"\nschemathesis (exit {done.returncode}):\n{summary.strip()}")  # noqa: T201
    assert done.returncode == 0, output.replace(secret, "mt_…")
