"""What the database does to a request: a dropped connection, a failure halfway.

These tests commit for real (``transaction=True``): the request's own
transaction is what they are about, so it must not sit inside a test's.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.apps import apps
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import User
from caregivers.models import PatientCaregiver
from conftest import Client, make_user
from medtrack.rls import system_context
from patients.models import Patient

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def kept_connection() -> Iterator[None]:
    """The connection kept between requests, as in production (tests close it at once)."""
    db = connection.settings_dict
    saved = db["CONN_MAX_AGE"]
    assert db["CONN_HEALTH_CHECKS"], "settings.py asks for conn_health_checks=True"
    db["CONN_MAX_AGE"] = 600
    connection.close()  # reopened with the settings above
    yield
    db["CONN_MAX_AGE"] = saved
    connection.close()


def test_the_next_request_succeeds_after_the_database_dropped_the_connection(
    kept_connection: None,
) -> None:
    """As a gunicorn worker serves requests: Django's own handler, with its
    request_started/finished connection care (the test client skips it)."""
    user = make_user("dana@example.com", "Dana Caregiver")
    browser = Client()
    browser.force_login(user)
    cookie = (
        f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"
    )
    handler = WSGIHandler()

    def get(path: str) -> int:
        environ = RequestFactory().get(path, HTTP_COOKIE=cookie).environ
        statuses: list[str] = []
        body = handler(environ, lambda status, headers, *_: statuses.append(status))
        b"".join(body)
        body.close()  # request_finished: the connection is kept
        return int(statuses[0].split()[0])

    assert get(reverse("patients:list")) == 200
    assert connection.connection is not None, "the connection is kept between requests"
    pid = connection.connection.info.backend_pid

    other = connections.create_connection(DEFAULT_DB_ALIAS)  # a second session, same role
    try:
        with other.cursor() as cursor:  # the app role may end its own role's sessions
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            assert cursor.fetchone() == (True,)
    finally:
        other.close()

    assert get(reverse("patients:list")) == 200  # not a 500: the dead one was replaced
    assert connection.connection.info.backend_pid != pid
    assert get(reverse("patients:list")) == 200


FAIL_ON_CAREGIVER = """
CREATE FUNCTION test_refuse_caregiver() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'injected failure: the second write of the request'; END $$;
CREATE {constraint} TRIGGER test_refuse_caregiver AFTER INSERT ON patient_caregivers
{deferred} FOR EACH ROW EXECUTE FUNCTION test_refuse_caregiver();
"""
DROP = """
DROP TRIGGER IF EXISTS test_refuse_caregiver ON patient_caregivers;
DROP FUNCTION IF EXISTS test_refuse_caregiver();
"""


@pytest.fixture(params=["at once", "at commit"])
def caregiver_insert_fails(request: pytest.FixtureRequest) -> Iterator[str]:
    """Adding a patient's first caregiver fails in the database: at once, or only
    when the request's transaction commits (every service call has returned by then).
    Made as the schema owner, who owns the table."""
    deferred = request.param == "at commit"
    sql = FAIL_ON_CAREGIVER.format(
        constraint="CONSTRAINT" if deferred else "",
        deferred="DEFERRABLE INITIALLY DEFERRED" if deferred else "",
    )
    with system_context("test: inject a failure"), connection.cursor() as cursor:
        cursor.execute(sql)
    yield request.param
    with system_context("test: remove the failure"), connection.cursor() as cursor:
        cursor.execute(DROP)


def _rows(name: str) -> dict[str, int]:
    with system_context("test"):
        return {
            "patients": Patient.objects.filter(name=name).count(),
            "caregivers": PatientCaregiver.objects.filter(patient__name=name).count(),
            "history": apps.get_model("patients", "PatientEvent")
            .objects.filter(name=name)
            .count(),
        }


def new_patient(name: str) -> dict[str, str]:
    """The patient form as a caregiver fills it in."""
    return {
        "name": name,
        "dob": "1950-06-01",
        "gender": "female",
        "timezone": "Europe/Madrid",
        "contact_name": "Luis",
        "contact_phone": "+34 612 345 679",
        "contact_relationship": "son",
    }


def test_a_request_failing_halfway_leaves_nothing_half_written(
    caregiver_insert_fails: str, primary: User
) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(primary)
    response = client.post(reverse("patients:create"), new_patient("Half Written"))

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
    assert _rows("Half Written") == {"patients": 0, "caregivers": 0, "history": 0}


def test_the_same_request_without_the_failure_writes_every_row(primary: User) -> None:
    """The control: what the failing request would have written."""
    client = Client(raise_request_exception=False)
    client.force_login(primary)
    assert client.post(reverse("patients:create"), new_patient("Whole")).status_code == 302
    rows = _rows("Whole")
    assert (rows["patients"], rows["caregivers"]) == (1, 1)
    assert rows["history"] >= 1


@pytest.fixture
def medications_unreadable() -> Iterator[None]:
    """The app role loses SELECT on medications: a request's later read fails."""
    app_role = connection.ops.quote_name(connection.settings_dict["USER"])
    with system_context("test: inject a failure"), connection.cursor() as cursor:
        cursor.execute(f"REVOKE SELECT ON medications FROM {app_role}")
    yield
    with system_context("test: remove the failure"), connection.cursor() as cursor:
        cursor.execute(f"GRANT SELECT ON medications TO {app_role}")


def test_a_page_failing_after_its_first_write_keeps_none_of_it(
    primary: User, medications_unreadable: None
) -> None:
    """The medication list writes its access-log row, then fails reading the list:
    the 500 rolls the request back (DatabaseContextMiddleware), the row included."""
    from audit.models import AccessLog
    from conftest import make_patient

    patient = make_patient(primary, "Rosa Reliable")
    client = Client(raise_request_exception=False)
    client.force_login(primary)

    def logged_views() -> int:
        with system_context("test"):
            return AccessLog.objects.filter(patient_id=patient.pk, action="view").count()

    before = logged_views()
    assert client.get(reverse("appointments:list", args=[patient.pk])).status_code == 200
    assert logged_views() == before + 1  # a page that works keeps its row

    response = client.get(reverse("medications:list", args=[patient.pk]))
    assert response.status_code == 500
    assert logged_views() == before + 1
