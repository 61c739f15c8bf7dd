"""Many hosts, proven on one machine (DESIGN.md §A "Scaling out", docs/operations.md).

Two gunicorn instances, two job runners and two task workers share one
database (the suite's test database, committed to: a transactional test) and
one S3 server (moto over HTTP). Caregivers sign in through both app hosts
alternately and mark doses, record readings outside their targets and upload
photos, while the runners generate doses and send reminders. Afterwards: no
dose or notification exists twice, no e-mail went twice, no response was a
server error, no process logged an error, every job ran on each runner or was
skipped there by its lock, and the photos are in the bucket.

The processes run as in production (DEBUG off, collected static files, secure
cookies behind a TLS-terminating load balancer, which the driver stands in for
with ``X-Forwarded-Proto: https``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
import pytest
import requests
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from conftest import PASSWORD, add_member, make_patient, make_user, png_bytes, set_target
from doses.models import Dose
from files.models import File
from medications import services as medications
from medtrack import jobs
from medtrack.rls import acting_as, system_context
from notifications.models import Notification, NotificationPreferences
from patients.access import Area, get_patient_for_user
from patients.models import Patient

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="gunicorn needs a POSIX system")

#: How long the caregivers keep clicking.
LOAD_SECONDS = 15
VENV_BIN = Path(sys.executable).parent
KEYS = {"S3_ACCESS_KEY_ID": "medtrack-test", "S3_SECRET_ACCESS_KEY": "medtrack-test-secret"}
#: What no process may print (Django's request errors print "Internal Server Error").
BAD_LOG = re.compile(r"Traceback|\bERROR\b|\bCRITICAL\b|Internal Server Error|FAILED")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url() -> str:
    """The test database, as the app role logs in to it (a socket dir or a host)."""
    db = connection.settings_dict
    host = quote(db["HOST"] or "", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return f"postgres://{quote(db['USER'], safe='')}{password}@{host}{port}/{db['NAME']}"


@pytest.fixture
def s3() -> Iterator[tuple[Any, str, str]]:
    """A moto S3 server over HTTP with an empty bucket: (client, bucket, endpoint)."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="eu-west-1",
        aws_access_key_id=KEYS["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["S3_SECRET_ACCESS_KEY"],
    )
    bucket = "medtrack-hosts"
    client.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    yield client, bucket, endpoint
    server.stop()


# -- The processes ------------------------------------------------------------------


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")


def start(name: str, argv: list[str], env: dict[str, str], logs: Path) -> Process:
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        popen = subprocess.Popen(
            argv, cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    return Process(name, popen, log)


def stop_all(processes: list[Process], grace: float = 15) -> None:
    """SIGTERM to all, wait for each, SIGKILL what is still there after ``grace``."""
    for process in processes:
        if process.popen.poll() is None:
            process.popen.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.popen.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.popen.kill()
            process.popen.wait(5)


def wait_until_serving(process: Process, url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            pytest.fail(f"{process.name} exited at start:\n{process.text()}")
        try:
            if requests.get(url, timeout=10, allow_redirects=False).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    pytest.fail(f"{process.name} did not answer within {seconds} s:\n{process.text()}")


def production_env(tmp: Path, s3_endpoint: str, bucket: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "DATABASE_TEST_NAME", "MEDIA_ROOT", "PYTEST_XDIST_WORKER"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "medtrack.settings",
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": database_url(),
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": "https://medtrack.example",
            # TLS ends at the load balancer (here: the driver's X-Forwarded-Proto).
            "SECURE_SSL_REDIRECT": "false",
            "STATIC_ROOT": str(tmp / "static"),
            "MEDTRACK_VAR_DIR": str(tmp / "var"),
            "MAIL_BACKEND": "file",  # to tmp/var/mail: each e-mail can be counted
            "S3_BUCKET": bucket,
            "S3_ENDPOINT_URL": s3_endpoint,
            "S3_REGION": "eu-west-1",
            "S3_ADDRESSING_STYLE": "path",
            **KEYS,
            # Work for the runners within the window: two more days of doses than
            # the schedules were created with, and doses missed after one hour.
            "DOSE_WINDOW_DAYS": "3",
            "DOSE_MISSED_HOURS": "1",
        }
    )
    return env


# -- The caregivers ---------------------------------------------------------------


class _Forms(HTMLParser):
    """The fields of the page's POST forms with their values, as a browser would send them."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append({})
        elif not self.forms or "name" not in a:
            if (
                tag == "option"
                and self._select
                and ("selected" in a or self._select not in self.forms[-1])
            ):
                self.forms[-1][self._select] = a.get("value", "")
            return
        elif tag == "input":
            kind = a.get("type", "text")
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            if kind not in {"file", "submit", "button"}:
                self.forms[-1][a["name"]] = a.get("value", "on" if kind == "checkbox" else "")
        elif tag == "select":
            self._select = a["name"]
        elif tag == "textarea":
            self._textarea = a["name"]
            self.forms[-1][a["name"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            self.forms[-1][self._textarea] += data


def page_text(html: str) -> str:
    """The page's main content as text, for a failure message."""
    main = html[html.find("<main") :]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))[:1500]


def form_fields(html: str, having: str) -> dict[str, str]:
    parser = _Forms()
    parser.feed(html)
    for form in parser.forms:
        if having in form:
            return form
    raise AssertionError(f"no form with a {having!r} field on the page")


@dataclass
class Caregiver:
    """One person's browser, behind a load balancer that alternates between the hosts."""

    user: User
    patient: Patient
    hosts: list[str]
    responses: list[tuple[str, str, str, int]]
    cookies: dict[str, str] = field(default_factory=dict)
    turn: int = 0

    def request(
        self, method: str, path: str, host: str | None = None, **kw: Any
    ) -> requests.Response:
        if host is None:
            host = self.hosts[self.turn % len(self.hosts)]
            self.turn += 1
        headers = {
            "X-Forwarded-Proto": "https",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        if method == "POST":
            headers["Origin"] = f"https://{host}"
        # The cookies are Secure (__Host-): sent by hand, as the browser sends them to the LB.
        response = requests.request(
            method,
            f"http://{host}{path}",
            headers=headers,
            allow_redirects=False,
            timeout=30,
            **kw,
        )
        self.cookies.update(response.cookies.get_dict())
        self.responses.append((host, method, path, response.status_code))
        return response

    def csrf(self) -> str:
        return next(value for key, value in self.cookies.items() if key.endswith("csrftoken"))

    def log_in(self) -> None:
        login = reverse("accounts:login")
        self.request("GET", login, host=self.hosts[0])
        response = self.request(
            "POST",
            login,
            host=self.hosts[0],
            data={
                "csrfmiddlewaretoken": self.csrf(),
                "username": self.user.email,
                "password": PASSWORD,
            },
        )
        assert response.status_code == 302, page_text(response.text)
        # The other host knows the session: the hosts keep no state of their own.
        home = self.request("GET", reverse("dashboard:home"), host=self.hosts[1])
        assert home.status_code == 200, (home.status_code, home.headers.get("Location"))
        assert self.user.name in home.text

    def take(self, dose_id: uuid.UUID) -> None:
        path = reverse("doses:record", args=[self.patient.pk, dose_id])
        response = self.request(
            "POST", path, data={"csrfmiddlewaretoken": self.csrf(), "action": "taken"}
        )
        assert response.status_code in {200, 302}, response.status_code

    def record_high_blood_pressure(self) -> None:
        path = reverse("measurements:create", args=[self.patient.pk]) + "?type=blood_pressure"
        fields = form_fields(self.request("GET", path).text, "value")
        fields.update({"value": "165", "value_secondary": "98"})
        response = self.request("POST", path, data=fields)
        assert response.status_code == 302, page_text(response.text)

    def upload_photo(self) -> None:
        path = reverse("files:upload", args=[self.patient.pk])
        fields = form_fields(self.request("GET", path).text, "form_token")
        photo = png_bytes((32, 32), "salmon")
        response = self.request(
            "POST", path, data=fields, files={"upload": ("cuff.png", photo, "image/png")}
        )
        assert response.status_code == 302, page_text(response.text)

    def browse(self) -> None:
        for path in (
            reverse("doses:today", args=[self.patient.pk]),
            reverse("notifications:inbox"),
        ):
            self.request("GET", path)


def drive(
    caregiver: Caregiver, dose_ids: list[uuid.UUID], until: float, errors: list[str]
) -> None:
    try:
        caregiver.log_in()
        caregiver.upload_photo()
        step = 0
        while time.monotonic() < until:
            caregiver.browse()
            if dose_ids:  # both members of a team race for the same doses
                caregiver.take(dose_ids.pop(0) if step % 2 else dose_ids[0])
            if step % 3 == 0:
                caregiver.record_high_blood_pressure()
            if step % 8 == 7:
                caregiver.upload_photo()
            step += 1
            time.sleep(0.2)
    except BaseException as error:  # reported by the test, not lost in a thread
        errors.append(f"{caregiver.user.email}: {error!r}")


# -- The data -----------------------------------------------------------------------


def family(n: int, hosts: list[str], responses: list[Any], zone: str) -> list[Caregiver]:
    """A patient cared for by two caregivers who both want dose reminders by e-mail too."""
    first = make_user(f"first{n}@example.com", f"First Carer {n}")
    second = make_user(f"second{n}@example.com", f"Second Carer {n}")
    # Hashed as production hashes (the suite's fast MD5 hasher is not enabled there).
    User.objects.filter(pk__in=[first.pk, second.pk]).update(
        password=make_password(PASSWORD, hasher="pbkdf2_sha256")
    )
    patient = make_patient(first, f"Patient {n}", timezone=zone)
    add_member(patient, second, "secondary")
    for user in (first, second):
        with acting_as(user.pk):
            NotificationPreferences.objects.create(
                user=user, channels={"dose_due": ["in_app", "email"]}
            )
    set_target(first, patient, "blood_pressure", Decimal(90), Decimal(140))
    with acting_as(first.pk):
        loaded = get_patient_for_user(first, patient.pk, Area.MEDICATIONS)
        medication = medications.medication_create(
            patient=loaded,
            actor=first,
            name="Metformin",
            strength="500 mg",
            dose_amount=Decimal(1),
            dose_unit="tablet",
            start_date=timezone.localdate() - dt.timedelta(days=1),
        )
        local = timezone.now().astimezone(loaded.zone)
        # Missed two hours ago, due in the last minutes, and due during the run.
        times = sorted(
            {
                (local + dt.timedelta(minutes=m)).time().replace(second=0, microsecond=0)
                for m in (-120, -10, -5, -1, 0, 1)
            }
        )
        medications.schedule_create(
            patient=loaded,
            actor=first,
            medication=medication,
            frequency="daily",
            times_of_day=times,
            days_of_week=[],
            interval=None,
            dose_amount=None,
            start_date=medication.start_date,
            end_date=None,
        )
    return [
        Caregiver(first, patient, hosts, responses),
        Caregiver(second, patient, hosts, responses),
    ]


def noon_zone() -> str:
    """A zone where it is about noon: every chosen dose time falls on today, locally."""
    offset = 12 - timezone.now().hour  # local hour = UTC hour + offset
    offset = max(-12, min(14, offset))
    name = "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"  # (POSIX signs are inverted)
    assert name in zoneinfo.available_timezones()
    return name


def duplicates(sql: str) -> list[tuple[Any, ...]]:
    with system_context("test: duplicates"), connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


# -- The test -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_app_hosts_two_job_runners_and_two_workers_share_one_database_and_s3(
    s3: tuple[Any, str, str], tmp_path: Path, settings: Any
) -> None:
    client, bucket, endpoint = s3
    env = production_env(tmp_path, endpoint, bucket)
    subprocess.run(  # what a production build does once
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
    )
    settings.DOSE_WINDOW_DAYS = 1  # the runners' window is 3 days: they have doses to make
    ports = [free_port(), free_port()]
    hosts = [f"127.0.0.1:{port}" for port in ports]
    responses: list[tuple[str, str, str, int]] = []
    zone = noon_zone()
    caregivers = family(1, hosts, responses, zone) + family(2, hosts[::-1], responses, zone)
    with system_context("test: setup"):
        due = {
            c.patient.pk: list(
                Dose.objects.filter(
                    patient=c.patient,
                    # Not the one due two hours ago: it is left for the sweep to mark missed.
                    scheduled_for__gt=timezone.now() - dt.timedelta(minutes=30),
                    scheduled_for__lte=timezone.now() + dt.timedelta(minutes=2),
                )
                .order_by("scheduled_for")
                .values_list("pk", flat=True)
            )
            for c in caregivers
        }
        made_up_front = Dose.objects.count()

    logs = tmp_path / "logs"
    logs.mkdir()
    manage = [sys.executable, "manage.py"]
    processes: list[Process] = []
    try:
        for n, port in enumerate(ports, 1):
            processes.append(
                start(
                    f"web{n}",
                    [
                        str(VENV_BIN / "gunicorn"),
                        "medtrack.wsgi",
                        "-b",
                        f"127.0.0.1:{port}",
                        "-w",
                        "2",
                    ],
                    env,
                    logs,
                )
            )
        for n in (1, 2):
            processes.append(
                start(f"jobs{n}", [*manage, "run_jobs", "--interval", "1"], env, logs)
            )
            processes.append(
                start(
                    f"worker{n}",
                    [*manage, "db_worker", "--interval", "1", "--no-reload", "--no-startup-delay"],
                    env,
                    logs,
                )
            )
        for process, host in zip(processes[:2], hosts, strict=True):
            wait_until_serving(process, f"http://{host}{reverse('accounts:login')}")

        errors: list[str] = []
        until = time.monotonic() + LOAD_SECONDS
        threads = [
            threading.Thread(target=drive, args=(c, list(due[c.patient.pk]), until, errors))
            for c in caregivers
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(LOAD_SECONDS + 60)
        assert not errors, errors
        wait_for_the_queue(seconds=20)
    finally:
        stop_all(processes)

    # Every process stopped on SIGTERM, in time, and logged no error.
    for process in processes:
        assert process.popen.returncode == 0, (
            process.name,
            process.popen.returncode,
            process.text(),
        )
        bad = [line for line in process.text().splitlines() if BAD_LOG.search(line)]
        assert not bad, (process.name, bad[:20], process.text()[-5000:])

    # No server errors, and both hosts served each caregiver.
    assert responses
    assert all(status < 500 for *_, status in responses), [r for r in responses if r[3] >= 500]
    assert {host for host, *_ in responses} == set(hosts)

    # Each job ran on each runner, or was skipped there because the other ran it.
    for name in ("jobs1", "jobs2"):
        text = processes[[p.name for p in processes].index(name)].text()
        for job in jobs.JOBS:
            assert re.search(
                rf"^{job.name}: (skipped \(running elsewhere\)|.* in [\d.]+ s)$", text, re.M
            ), (name, job.name)
    all_runs = "".join(p.text() for p in processes if p.name.startswith("jobs"))
    for job in jobs.JOBS:
        assert re.search(rf"^{job.name}: .* in [\d.]+ s$", all_runs, re.M), job.name

    # No dose twice; the runners made the two extra days of doses.
    assert not duplicates(
        "SELECT schedule_id, scheduled_for FROM doses WHERE schedule_id IS NOT NULL "
        "GROUP BY 1, 2 HAVING count(*) > 1"
    )
    with system_context("test: results"):
        assert Dose.objects.count() > made_up_front
        assert Dose.objects.filter(status="taken").exists()
        assert Dose.objects.filter(status="missed").exists()
        counts = {
            kind: Notification.objects.filter(type=kind).count()
            for kind in ("dose_due", "dose_missed", "measurement_out_of_range")
        }
        emailed = Notification.objects.filter(emailed_at__isnull=False).count()
        stored = set(File.objects.values_list("storage_path", flat=True))

    # No notification twice: not by its key, nor by what it is about.
    assert not duplicates(
        "SELECT user_id, dedupe_key FROM notifications GROUP BY 1, 2 HAVING count(*) > 1"
    )
    assert not duplicates(
        "SELECT user_id, type, data->>'dose_id', data->>'measurement_id' FROM notifications "
        "GROUP BY 1, 2, 3, 4 HAVING count(*) > 1"
    )
    assert all(counts.values()), counts
    # Each e-mailed notification went out exactly once.
    mails = list((tmp_path / "var" / "mail").glob("*"))
    sent = sum(
        len(re.findall(r"^Message-ID:", m.read_text(errors="replace"), re.M)) for m in mails
    )
    assert emailed > 0
    assert sent == emailed, (sent, emailed)

    # The photos are in the one bucket both hosts wrote to.
    listed = {o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])}
    assert len(stored) >= len(caregivers)
    assert stored <= listed


def wait_for_the_queue(seconds: float) -> None:
    """Until the workers have run every task that is due (the e-mails)."""
    from django_tasks_db.models import DBTaskResult

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        waiting = DBTaskResult.objects.ready() | DBTaskResult.objects.filter(status="RUNNING")
        if not waiting.exists():
            return
        time.sleep(0.5)
    pytest.fail("the workers left due tasks in the queue")
