"""The sync API's OpenAPI document: valid, complete, and true to the answers.

* The served document is valid OpenAPI 3 and describes exactly the API's routes
  (walked from the URLconf), every synced entity, auth and the rate limit.
* Real answers (every page of a pull, a push with each kind of result, each
  documented error, a 429) pass schemathesis' own checks against it: status code,
  content type, headers and body schema ($refs resolved, OpenAPI 3.0 ``nullable``).
* Malformed input is a documented 4xx, never a 500.
* A fuzzer (the schemathesis CLI, positive and negative inputs) runs against a
  live server and fails the test on any failed check.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
from sync.pull import current

DOCUMENT = "/api/v1/openapi.json"
CHANGES = "/api/v1/sync/changes"
PUSH = "/api/v1/sync/push"
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
#: What every answer must pass (here and in the fuzzer).
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
)
#: The fuzzer's extras: nothing is served without a token; other methods get 405.
#: (Not negative_data_rejection / positive_data_acceptance: by design a push answers
#: 200 with an error result per malformed item, and a cursor is opaque, so a
#: schema-valid string can still be refused with a 400.)
FUZZ_CHECKS = (*CHECKS, "ignored_auth", "unsupported_method")
#: Test cases per operation and phase, positive and negative (about 270 requests, ~25 s).
MAX_EXAMPLES = 50
FUZZ_TIMEOUT = 300  # seconds: far above the run's length, only so a hang cannot block CI


def sync_token(user: User, name: str = "Schema tests") -> str:
    with acting_as(user.pk):
        _token, secret = tokens.token_create(user=user, name=name, scopes=["sync"])
    return secret


def url_routes(patterns: list[Any] | None = None, prefix: str = "/") -> Iterator[tuple[str, Any]]:
    """(path, view) of every route in the URLconf."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from url_routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def served_document(client: Client) -> dict[str, Any]:
    response = client.get(DOCUMENT)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


def cursor_of(payload: dict[str, Any] | bytes) -> str:
    """A cursor as the server encodes one (base64url JSON), with any content."""
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# -- The document -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_served_document_is_valid_openapi_3_and_describes_the_whole_api(
    client: Client,
) -> None:
    document = served_document(client)
    validate(document)  # openapi-spec-validator: raises on any error
    assert document["openapi"].startswith("3.0")
    assert document["servers"] == [{"url": "http://testserver"}]

    routes = {path: view for path, view in url_routes() if path.startswith("/api/v1/")}
    # Everything under /api/v1/ but the document itself is the token API, and the
    # document lists exactly those routes, with exactly the methods they answer.
    token_routes = {path for path, view in routes.items() if hasattr(view, "token_authenticated")}
    assert set(routes) - token_routes == {DOCUMENT}
    assert set(document["paths"]) == token_routes
    for path in token_routes:
        answered = {m for m in METHODS if client.generic(m, path).status_code != 405}
        assert {m.upper() for m in document["paths"][path]} == answered, path

    schemas = document["components"]["schemas"]
    for name in ENTITIES:
        assert f"{name}_record" in schemas, name
        assert f"{name}_write" in schemas, name
    assert schemas["Change"]["properties"]["entity"]["enum"] == list(ENTITIES)
    assert schemas["Change"]["properties"]["data"]["anyOf"] == [
        {"$ref": f"#/components/schemas/{name}_record"} for name in ENTITIES
    ]
    assert schemas["PushItem"]["properties"]["entity"]["enum"] == list(ENTITIES)


@pytest.mark.django_db
def test_every_operation_documents_the_token_and_the_rate_limit(client: Client) -> None:
    document = served_document(client)
    assert document["security"] == [{"token": []}]
    scheme = document["components"]["securitySchemes"]["token"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            responses = operation["responses"]
            assert {"200", "400", "401", "429"} <= set(responses), where
            throttled = responses["429"]
            assert "application/json" in throttled["content"], where
            assert throttled["headers"]["Retry-After"] == {
                "schema": {"type": "integer"},
                "required": True,
            }, where


# -- Real answers against the document -----------------------------------------------------


class Api:
    """The Django test client, every answer checked against the served document
    by schemathesis' checks (CHECKS)."""

    def __init__(self, client: Client, secret: str | None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        self.schema = schemathesis.openapi.from_dict(served_document(client))
        self.checked: set[tuple[str, int]] = set()

    def check(self, method: str, path: str, response: Any, **parts: Any) -> Any:
        """Run the checks on ``response`` (to a request made of ``parts``)."""
        case = self.schema[path][method].Case(headers=dict(self.headers), **parts)
        body = parts.get("body")
        content = body if isinstance(body, str) else json.dumps(body) if body else None
        sent_type = {"Content-Type": parts["media_type"]} if "media_type" in parts else {}
        request = requests.Request(
            method,
            f"http://testserver{path}",
            params=parts.get("query"),
            data=content,
            headers={**self.headers, **sent_type},
        ).prepare()
        answer = schemathesis.Response(
            status_code=response.status_code,
            headers={name: [value] for name, value in response.headers.items()},
            content=response.content,
            request=request,
            elapsed=0.0,
            verify=True,
        )
        case.validate_response(answer, checks=[getattr(st_checks, name) for name in CHECKS])
        self.checked.add((f"{method} {path}", response.status_code))
        return response.json()

    def pull(self, status: int = 200, **query: Any) -> dict[str, Any]:
        response = self.client.get(CHANGES, query, headers=self.headers)
        assert response.status_code == status, response.content
        return self.check("GET", CHANGES, response, query=query)

    def push(self, changes: Any, status: int = 200, **more: Any) -> dict[str, Any]:
        body = {"client_id": "schema tests", "changes": changes, **more}
        response = self.client.post(
            PUSH, body, content_type="application/json", headers=self.headers
        )
        assert response.status_code == status, response.content
        return self.check("POST", PUSH, response, body=body, media_type="application/json")


def pull_all(api: Api, cursor: str = "") -> tuple[list[dict[str, Any]], str]:
    """Every page (three changes a page, so there are many), and the last cursor."""
    changes: list[dict[str, Any]] = []
    for _page in range(100):
        page = api.pull(
            limit=3, client_id="schema tests", **({"cursor": cursor} if cursor else {})
        )
        changes += page["changes"]
        cursor = page["cursor"]
        if not page["has_more"]:
            return changes, cursor
    raise AssertionError("the pull does not end")


@pytest.mark.django_db(transaction=True)  # the pull serves committed transactions only
def test_real_answers_conform_to_the_document(
    client: Client, settings: Any, primary: User, patient: Patient
) -> None:
    settings.SYNC_RATE_LIMIT_PER_MINUTE = 10_000
    api = Api(client, sync_token(primary))

    changes, cursor = pull_all(api)
    assert {change["entity"] for change in changes} == set(ENTITIES)  # a row in every table

    with acting_as(primary.pk):
        reading = Measurement.objects.get(patient=patient)
    version = next(change["version"] for change in changes if change["id"] == str(reading.pk))
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
            new_reading,
            new_reading,  # sent again
            edit,
            {**edit, "data": {"notes": "before the walk"}},  # made from the old version
            {**new_reading, "id": str(uuid.uuid4()), "data": {"type": "heart_rate"}},
            {"entity": "nope", "op": "upsert", "id": "x", "patient_id": "y"},
            {**new_reading, "op": "delete"},
        ]
    )
    statuses = [result["status"] for result in answer["results"]]
    assert statuses == ["applied", "unchanged", "applied", "conflict", "error", "error", "applied"]
    assert [answer[name] for name in ("applied", "unchanged", "conflict", "error")] == [3, 1, 1, 2]

    later, _cursor = pull_all(api, cursor)  # the edits, and a tombstone (data null)
    gone = next(change for change in later if change["id"] == new_reading["id"])
    assert (gone["deleted"], gone["data"]) == (True, None)

    # Each documented error, as served.
    api.pull(status=400, cursor="not-a-cursor")
    api.pull(status=400, limit=0)
    api.pull(status=400, client_id="x" * 101)
    api.push("not a list", status=400)
    api.push([], status=400, client_id=7)
    api.push([new_reading] * 201, status=413)
    response = client.post(PUSH, "changes=[]", content_type="text/plain", headers=api.headers)
    assert response.status_code == 415
    api.check("POST", PUSH, response, body="changes=[]", media_type="text/plain")
    for secret in (None, "mt_not-a-token"):
        stranger = Api(client, secret)
        stranger.pull(status=401)
        stranger.push([], status=401)
        api.checked |= stranger.checked

    documented = {
        (f"{method.upper()} {path}", int(status))
        for path, operations in served_document(client)["paths"].items()
        for method, operation in operations.items()
        for status in operation["responses"]
    }
    assert api.checked <= documented
    # 429 has a test of its own (with a low limit).
    assert documented - api.checked == {(f"GET {CHANGES}", 429), (f"POST {PUSH}", 429)}


@pytest.mark.django_db
def test_the_rate_limit_answers_as_documented(
    client: Client, settings: Any, primary: User
) -> None:
    settings.SYNC_RATE_LIMIT_PER_MINUTE = 2
    api = Api(client, sync_token(primary))
    api.pull()
    api.push([])
    api.pull(status=429)  # the checks include response_headers_conformance (Retry-After)
    api.push([], status=429)
    response = client.get(CHANGES, headers=api.headers)
    assert 1 <= int(response["Retry-After"]) <= 60


# -- Malformed input: a documented 4xx, never a 500 ----------------------------------------

CURSOR = {"v": 1, "s": "", "u": "", "a": [0, 0], "k": {}, "f": {}}
MALFORMED_PULLS = {
    "limit is a superscript digit": {"limit": "²"},
    "since is not a text": {"cursor": cursor_of({**CURSOR, "s": 5})},
    "known patients as a list of pairs": {
        "cursor": cursor_of({**CURSOR, "s": "1:1:", "k": [[1, "x"]]})
    },
    "position is infinite": {
        "cursor": cursor_of(b'{"v":1,"s":"","u":"","a":[1e999,0],"k":{},"f":{}}')
    },
    "since with xmin after xmax": {"cursor": cursor_of({**CURSOR, "s": "5:1:"})},
    "until with an in-progress id past xmax": {"cursor": cursor_of({**CURSOR, "u": "10:20:30"})},
    "since beyond bigint": {
        "cursor": cursor_of({**CURSOR, "s": "99999999999999999999:99999999999999999999:"})
    },
}


@pytest.mark.django_db
@pytest.mark.parametrize("query", MALFORMED_PULLS.values(), ids=MALFORMED_PULLS)
def test_a_malformed_pull_is_a_documented_400(primary: User, query: dict[str, str]) -> None:
    client = Client(raise_request_exception=False)
    api = Api(client, sync_token(primary))
    response = client.get(CHANGES, query, headers=api.headers)
    assert response.status_code == 400, f"{query}: {response.status_code}"
    api.check("GET", CHANGES, response, query=query)


@pytest.mark.django_db
def test_a_deeply_nested_push_is_a_documented_400(primary: User) -> None:
    client = Client(raise_request_exception=False)
    api = Api(client, sync_token(primary))
    depth = 100_000  # 200 kB, well under the 2 MB a push may have
    body = '{"changes": ' + "[" * depth + "]" * depth + "}"
    response = client.post(PUSH, body, content_type="application/json", headers=api.headers)
    assert response.status_code == 400, response.status_code
    api.check(
        "POST", PUSH, response, body=json.loads('{"changes": []}'), media_type="application/json"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("op", ["create", "edit"])
def test_a_pushed_time_zone_must_exist(primary: User, patient: Patient, op: str) -> None:
    """An unknown zone is an error result: stored, it breaks every page that shows
    the patient's times (the web form only offers real zones)."""
    client = Client(raise_request_exception=False)
    api = Api(client, sync_token(primary))
    if op == "create":
        new = str(uuid.uuid4())
        data = {
            "name": "Zoe Nowhere",
            "dob": "1950-01-01",
            "gender": "female",
            "emergency_contact": {"name": "Ana", "phone": "+34612345678"},
            "timezone": "Nowhere/Land",
        }
        item: dict[str, Any] = {
            "entity": "patients",
            "op": "upsert",
            "id": new,
            "patient_id": new,
            "data": data,
        }
    else:  # Rosa has a medication, so a zone change regenerates her doses
        with acting_as(primary.pk):
            _rosa, version = current(ENTITIES["patients"], patient.pk)
        item = {
            "entity": "patients",
            "op": "upsert",
            "id": str(patient.pk),
            "patient_id": str(patient.pk),
            "base_version": version,
            "data": {"timezone": "Nowhere/Land"},
        }
    body = {"changes": [item]}
    response = client.post(PUSH, body, content_type="application/json", headers=api.headers)
    assert response.status_code == 200, response.status_code
    (result,) = api.check("POST", PUSH, response, body=body, media_type="application/json")[
        "results"
    ]
    assert result["status"] == "error", result
    assert "timezone" in result["error"]["fields"], result


# -- The fuzzer -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # the live server's threads see committed rows only
def test_the_fuzzer_finds_nothing(
    live_server: Any,
    settings: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    primary: User,
    patient: Patient,
) -> None:
    settings.SYNC_RATE_LIMIT_PER_MINUTE = 1_000_000  # the fuzzer is not throttled
    secret = sync_token(primary, "Fuzzer")
    command = [
        str(Path(sys.executable).parent / "st"),
        "--no-color",
        "run",
        f"{live_server.url}{DOCUMENT}",
        "--header",
        f"Authorization: Bearer {secret}",
        "--checks",
        ",".join(FUZZ_CHECKS),
        "--mode",
        "all",  # positive and negative (invalid) inputs
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        "20260601",  # the same cases on every run: a failure is reproducible
        "--workers",
        "2",
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        "--continue-on-failure",
    ]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SCHEMATHESIS_")}
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=FUZZ_TIMEOUT,
        cwd=tmp_path,  # no schemathesis.toml from anywhere is picked up
        env={**environment, "NO_COLOR": "1"},
        check=False,
    )
    output = (done.stdout + done.stderr).replace(secret, "mt_…")
    summary = output[output.rfind("SUMMARY") :] if "SUMMARY" in output else output[-3000:]
    with capsys.disabled():
        print(f"\nschemathesis (exit {done.returncode}): {summary.strip()}")  # noqa: T201
    assert done.returncode == 0, output
