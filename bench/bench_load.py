"""HTTP under load (issue 16): the dashboard's throughput against the floor's, through
gunicorn on loopback with production settings. Target: the dashboard serves at least
a third of the floor's requests per second, and every response is a 200.

``python bench/bench_load.py --size large`` (``small``: the smoke test's few seconds)
prints a table and writes var/bench/load.json. It needs ``wrk``
(Debian/Ubuntu: ``apt-get install -y wrk``; macOS: ``brew install wrk``).

Why it is built this way:

1. gunicorn is started as production starts it (``gunicorn.conf.py``, threaded
   workers, 2 x cores + 1 of them unless the size says fewer) with ``DEBUG`` off and
   a fresh random ``SECRET_KEY``, ``ALLOWED_HOSTS=127.0.0.1``, on a port of
   loopback the kernel picks (``BIND=127.0.0.1:0``; the port is read from its log).
   Nothing in the settings is relaxed for it: production redirects plain HTTP, so
   wrk sends ``X-Forwarded-Proto: https`` as the TLS proxy in front would, and
   both gunicorn (``FORWARDED_ALLOW_IPS``: loopback) and Django
   (``SECURE_PROXY_SSL_HEADER``) trust it from 127.0.0.1 only.
2. The session is made by a short child with the server's own environment
   (``--session``): Django's test ``Client.force_login`` under the same secret key,
   session engine and cookie name (``__Host-sessionid``) as the server.
3. The caregiver is a bench account with real data (``bench.pages.seed_caregiver``:
   5 patients with their doses, readings and journal, and today's doses), reused on
   later runs.
4. Static files are what production serves: ``collectstatic`` with the manifest
   storage into var/bench/static (once; again only when a source file is newer).
5. Each URL gets a short warm-up, then ``wrk`` for a fixed time; a Lua script counts
   every response that is not a 200 (wrk's own count lets 3xx through) and prints
   requests/s and latency percentiles as JSON. The app's own time per request
   ("app p50/p95": its request log's ``duration_ms``, read back from gunicorn's
   log) is shown beside wrk's, which adds queueing, loopback and the machine's
   other work.
6. gunicorn runs in its own process group and is always stopped: SIGTERM, then
   SIGKILL to the group if it has not gone within 15 s (on an error or Ctrl-C too).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
#: The dashboard serves at least this share of the floor's requests per second.
FLOOR_SHARE = 1 / 3
WRK_MISSING = (
    "wrk is not installed: the load bench drives gunicorn with it.\n"
    "  Debian/Ubuntu: sudo apt-get install -y wrk\n"
    "  macOS:         brew install wrk"
)
#: Apps' static files the small size leaves out (the admin's, mostly): the pages
#: measured use only the project's own, and collecting these takes most of a minute.
SMALL_STATIC_IGNORE = ["admin", "django_htmx", "django_otp", "otp_totp", "otp_static"]


@dataclass(frozen=True)
class Size:
    #: Seconds of load per URL, after ``warmup`` seconds that are not counted.
    seconds: int
    warmup: int
    #: gunicorn workers (None: gunicorn.conf.py's 2 x cores + 1).
    workers: int | None
    #: The bench caregiver's patients, medications each and days of history.
    patients: int
    medications: int
    days: int


SIZES = {
    "small": Size(seconds=2, warmup=1, workers=2, patients=5, medications=2, days=14),
    "large": Size(seconds=15, warmup=3, workers=None, patients=5, medications=6, days=365),
}
URLS = {"floor": "/bench/floor/", "dashboard": "/"}

LUA = r"""
-- Counts every response that is not a 200 (wrk's "errors.status" skips 3xx) and
-- prints the run as one JSON line.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non200 = 0
  first_status = 0
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    if first_status == 0 then first_status = status end
  end
end

function done(summary, latency, requests)
  local bad, first = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non200")
    if first == 0 then first = thread:get("first_status") end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "non200": %d, ' ..
    '"first_non200": %d, "socket_errors": %d, "timeouts": %d, ' ..
    '"latency_us": {"mean": %.1f, "p50": %d, "p95": %d, "p99": %d, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes, bad, first,
    e.connect + e.read + e.write, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max))
end
"""


class WrkMissing(RuntimeError):
    pass


def seed(size: Size) -> str:
    """The bench caregiver's e-mail (seeded on the first run)."""
    from bench import pages

    shape = pages.Size(
        patients=size.patients,
        medications=size.medications,
        days=size.days,
        scaling=(size.days, size.days),
        iterations=0,
        warmup=0,
    )
    user, patients = pages.seed_caregiver(size.days, shape)
    # Doses due today, as make bench gives its caregivers, where bench/pages.py has it:
    # a dashboard with nothing due would be cheaper than a real one.
    refresh = getattr(pages, "refresh_today", None)
    if refresh is not None:
        refresh(patients, dt.datetime.now(dt.UTC))
    return user.email


def database_url() -> str:
    """The URL of the database this process uses (the test database under pytest)."""
    from django.db import connection

    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = quote(db.get("HOST") or "", safe="")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{quote(db['NAME'], safe='')}"


def server_env(static_root: Path, workers: int | None) -> dict[str, str]:
    """Production settings, for this bench only (nothing outside this process tree)."""
    env = {
        key: value
        for key, value in os.environ.items()
        # Ours to choose, not the caller's (a DEBUG=true shell, a test's settings).
        if key not in {"DEBUG", "DJANGO_SETTINGS_MODULE", "PYTEST_CURRENT_TEST"}
        and not key.startswith(("GUNICORN_", "SECURE_", "SESSION_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="medtrack.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL="https://127.0.0.1",
        DATABASE_URL=database_url(),
        STATIC_ROOT=str(static_root),
        BIND="127.0.0.1:0",
        FORWARDED_ALLOW_IPS="127.0.0.1",
        LOG_FORMAT="json",
        MAIL_BACKEND="console",  # nothing is sent; no SMTP server needed
        PYTHONPATH=str(BASE_DIR),
    )
    env.pop("WEB_CONCURRENCY", None)
    if workers is not None:
        env["WEB_CONCURRENCY"] = str(workers)
    return env


def collect_static(root: Path, env: dict[str, str], ignore: list[str]) -> float:
    """``collectstatic`` into ``root`` unless its manifest is newer than every source
    file; seconds spent (0: reused)."""
    import fcntl

    from django.contrib.staticfiles.finders import get_finders

    root.mkdir(parents=True, exist_ok=True)
    manifest = root / "staticfiles.json"
    with open(root.parent / f".{root.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another run collecting the same directory
        newest = max(
            os.stat(storage.path(path)).st_mtime
            for finder in get_finders()
            for path, storage in finder.list(ignore)
        )
        if manifest.exists() and manifest.stat().st_mtime > newest:
            return 0.0
        started = time.monotonic()
        command = [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"]
        command += [f"--ignore={pattern}" for pattern in ignore]
        subprocess.run(command, cwd=BASE_DIR, env=env, check=True)  # noqa: S603
        return time.monotonic() - started


def make_session(env: dict[str, str], email: str) -> tuple[str, str]:
    """(cookie name, session key) of a session made with the server's settings."""
    command = [sys.executable, str(Path(__file__).resolve()), "--session", email]
    done = subprocess.run(  # noqa: S603
        command, cwd=BASE_DIR, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"Could not make a session:\n{done.stderr[-3000:]}")
    cookie = json.loads(done.stdout.strip().splitlines()[-1])
    return cookie["name"], cookie["value"]


def _session_main(email: str) -> int:
    """``--session``: run in the server's environment; prints the cookie as JSON."""
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(email=email))
    name = settings.SESSION_COOKIE_NAME
    print(json.dumps({"name": name, "value": client.cookies[name].value}))
    return 0


@contextlib.contextmanager
def gunicorn(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """gunicorn, started in its own process group (``wait_until_ready`` gives its
    port) and always stopped, whatever happens in the block."""
    with open(log, "wb") as out:
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "gunicorn", "--config", str(BASE_DIR / "gunicorn.conf.py")],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (workers finish what they hold), then SIGKILL to the process group if
    the master is still there after 15 s; a second Ctrl-C lands on the SIGKILL."""
    try:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=15)
    finally:
        # Only while the master lives (unreaped, its pid and group cannot be reused);
        # a master that exited has stopped its workers.
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_until_ready(process: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> int:
    """The port from gunicorn's "Listening at" line, once /healthz answers 200."""
    deadline = time.monotonic() + timeout
    port = 0
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode}):\n{_tail(log)}")
        if not port:
            found = re.search(rb"Listening at: http://127\.0\.0\.1:(\d+)", log.read_bytes())
            port = int(found.group(1)) if found else 0
        if port and _get(port, "/healthz", {})[0] == 200:
            return port
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn was not ready after {timeout:.0f} s:\n{_tail(log)}")


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _get(port: int, path: str, headers: dict[str, str]) -> tuple[int, str]:
    """(status, Location) of one GET; (0, error) when nothing answers."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("Location") or ""
    except OSError as error:
        return 0, str(error)
    finally:
        connection.close()


def wrk(
    url: str, headers: dict[str, str], *, seconds: int, connections: int, script: Path
) -> dict[str, Any]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    command += ["-s", str(script), "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run(  # noqa: S603
        [*command, url], capture_output=True, text=True, check=False, timeout=seconds + 60
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    latency = raw["latency_us"]
    return {
        "requests": raw["requests"],
        "rps": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "p50_ms": round(latency["p50"] / 1000, 2),
        "p95_ms": round(latency["p95"] / 1000, 2),
        "p99_ms": round(latency["p99"] / 1000, 2),
        "mean_ms": round(latency["mean"] / 1000, 2),
        "max_ms": round(latency["max"] / 1000, 2),
        "errors": raw["non200"] + raw["socket_errors"] + raw["timeouts"],
        "non200": raw["non200"],
        "first_non200": raw["first_non200"],
        "socket_errors": raw["socket_errors"],
        "timeouts": raw["timeouts"],
        "kib_per_request": round(raw["bytes"] / max(1, raw["requests"]) / 1024, 1),
    }


def _now() -> str:
    """Now as the app's JSON log lines write it (comparable as text)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def server_times(log: Path, path: str, begin: str, end: str) -> dict[str, float]:
    """The app's own time for ``path`` in ``[begin, end]``, from its request log lines
    (``duration_ms``: first middleware to last): what the load adds on top of it is
    queueing, the network and the machine's other work."""
    durations = []
    for line in log.read_text(errors="replace").splitlines():
        if '"medtrack.request"' not in line:
            continue
        entry = json.loads(line)
        if entry.get("path") == path and begin <= entry["timestamp"] <= end:
            durations.append(float(entry["duration_ms"]))
    if not durations:
        return {}
    durations.sort()
    return {
        "server_p50_ms": round(statistics.median(durations), 2),
        "server_p95_ms": round(durations[min(len(durations) - 1, int(0.95 * len(durations)))], 2),
        "server_busy_s": round(sum(durations) / 1000, 1),
    }


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def run(size: str, *, work_dir: Path | None = None) -> dict[str, Any]:
    """Seed, start gunicorn, drive each URL with wrk, stop gunicorn, judge."""
    from django.conf import settings

    from bench.pages import machine

    if shutil.which("wrk") is None:
        raise WrkMissing(WRK_MISSING)
    chosen = SIZES[size]
    started = time.monotonic()
    phases: dict[str, float] = {}
    email = seed(chosen)
    phases["seed_s"] = time.monotonic() - started
    workers = chosen.workers or (os.cpu_count() or 1) * 2 + 1
    bench_dir = Path(settings.VAR_DIR) / "bench"
    static_root = bench_dir / ("static" if size == "large" else f"static-{size}")
    env = server_env(static_root, workers)
    phases["static_s"] = collect_static(
        static_root, env, SMALL_STATIC_IGNORE if size != "large" else []
    )
    connections = max(2, 2 * workers)
    load_before = _load()
    pages: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "bench.lua"
        script.write_text(LUA)
        log = (work_dir or bench_dir) / "load-gunicorn.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        booted = time.monotonic()
        with gunicorn(env, log) as server:
            cookie_name, session = make_session(env, email)  # while the workers boot
            phases["session_s"] = time.monotonic() - booted
            port = wait_until_ready(server, log)
            phases["boot_s"] = time.monotonic() - booted
            headers = {"Cookie": f"{cookie_name}={session}", "X-Forwarded-Proto": "https"}
            # Proof that production settings are in force: plain HTTP is sent to HTTPS.
            plain = _get(port, URLS["floor"], {"Cookie": headers["Cookie"]})
            for name, path in URLS.items():
                status, location = _get(port, path, headers)
                if status != 200:
                    raise RuntimeError(
                        f"{name} ({path}) answered {status} {location} before the load: "
                        "the session or the HTTPS header was not accepted.\n" + _tail(log)
                    )
            windows: dict[str, tuple[str, str]] = {}
            for name, path in URLS.items():
                url = f"http://127.0.0.1:{port}{path}"
                wrk(url, headers, seconds=chosen.warmup, connections=connections, script=script)
                begin = _now()
                pages[name] = wrk(
                    url, headers, seconds=chosen.seconds, connections=connections, script=script
                )
                windows[name] = (begin, _now())
            phases["load_s"] = time.monotonic() - booted - phases["boot_s"]
            stopping = time.monotonic()
        phases["stop_s"] = time.monotonic() - stopping
        for name, row in pages.items():
            row.update(server_times(log, URLS[name], *windows[name]))
    floor, dashboard = pages["floor"], pages["dashboard"]
    share = dashboard["rps"] / floor["rps"] if floor["rps"] else 0.0
    production = plain[0] == 301 and plain[1].startswith("https://")
    checks = [
        {
            "target": "gunicorn runs with production settings",
            "value": f"plain HTTP: {plain[0]} to {plain[1] or '-'}; cookie {cookie_name}",
            "pass": production and cookie_name.startswith("__Host-"),
        },
        {
            "target": f"dashboard: ≥ {FLOOR_SHARE:.2g} x the floor's requests/s",
            "value": f"{share:.2f}x ({dashboard['rps']:.0f} / {floor['rps']:.0f})",
            "pass": share >= FLOOR_SHARE,
        },
        *(
            {
                "target": f"{name}: every response a 200",
                "value": f"{row['errors']} errors of {row['requests']}"
                + (f" (first: {row['first_non200']})" if row["first_non200"] else ""),
                "pass": row["errors"] == 0 and row["requests"] > 0,
            }
            for name, row in pages.items()
        ),
    ]
    results: dict[str, Any] = {
        "size": size,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average": {"before": load_before, "after": _load()},
        "settings": {
            "workers": workers,
            "threads": int(env.get("GUNICORN_THREADS") or 1),
            "connections": connections,
            "seconds": chosen.seconds,
            "warmup": chosen.warmup,
            "caregiver": email,
            "patients": chosen.patients,
            "days": chosen.days,
        },
        #: Where the time went: seeding, collectstatic (0: reused), the session, gunicorn's start.
        "phases": {name: round(value, 1) for name, value in phases.items()},
        "pages": pages,
        "dashboard_share": round(share, 3),
        "checks": checks,
        "seconds": round(time.monotonic() - started, 1),
    }
    results["markdown"] = markdown(results)
    return results


def markdown(results: dict[str, Any]) -> str:
    from bench.pages import checks_table

    s = results["settings"]
    lines = [
        f"Run {results['date']}, size `{results['size']}`: gunicorn with {s['workers']} "
        f"workers x {s['threads']} thread on loopback (production settings), wrk with "
        f"{s['connections']} connections, {s['seconds']} s per URL after {s['warmup']} s "
        f"of warm-up; a caregiver of {s['patients']} patients ({s['days']} days of history).",
        f"Machine: {results['machine']}; load average {results['load_average']['before']} "
        f"before, {results['load_average']['after']} after (wrk runs on the same machine).",
        "",
        "| URL | requests/s | p50 ms | p95 ms | p99 ms | app p50 ms | app p95 ms | requests "
        "| errors | KiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in results["pages"].items():
        lines.append(
            f"| {name} ({URLS[name]}) | {row['rps']:.1f} | {row['p50_ms']:.1f} | "
            f"{row['p95_ms']:.1f} | {row['p99_ms']:.1f} | {row.get('server_p50_ms', 0):.1f} | "
            f"{row.get('server_p95_ms', 0):.1f} | {row['requests']} | {row['errors']} | "
            f"{row['kib_per_request']:.1f} |"
        )
    lines += ["", *checks_table(results["checks"])]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=SIZES, default="small")
    parser.add_argument("--out", type=Path, help="JSON results (default var/bench/load.json)")
    parser.add_argument("--session", metavar="EMAIL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(BASE_DIR))
    if args.session:
        return _session_main(args.session)

    if shutil.which("wrk") is None:
        print(WRK_MISSING, file=sys.stderr)
        return 2
    # This process seeds the bench account (development settings); the server it
    # starts gets production settings of its own (server_env).
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medtrack.settings")
    import django

    django.setup()
    from django.conf import settings

    if not settings.DEBUG:
        print("The load bench seeds bench accounts: DEBUG on only.", file=sys.stderr)
        return 2
    # SIGTERM (a CI timeout, kill) unwinds like Ctrl-C, so gunicorn is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results = run(args.size)
    out = args.out or Path(settings.VAR_DIR) / "bench/load.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(results["markdown"])
    print(f"\n{out} ({results['seconds']} s)")
    return 0 if all(check["pass"] for check in results["checks"]) else 1


if __name__ == "__main__":
    sys.exit(main())
