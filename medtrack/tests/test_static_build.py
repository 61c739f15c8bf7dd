"""``make build``: collectstatic with the production settings gathers hashed,
compressed files, which the WSGI app (whitenoise) serves for a year."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

SERVE = """
import json
from wsgiref.util import setup_testing_defaults

import medtrack.wsgi
from django.templatetags.static import static

environ = {}
setup_testing_defaults(environ)
environ.update(
    PATH_INFO=static("css/app.css"),
    HTTP_HOST="medtrack.example",
    HTTP_X_FORWARDED_PROTO="https",
    HTTP_ACCEPT_ENCODING="gzip",
)
answer = {}
def start_response(status, headers, exc_info=None):
    answer.update(status=status, headers=dict(headers))
body = b"".join(medtrack.wsgi.application(environ, start_response))
print("RESULT", json.dumps({**answer, "path": environ["PATH_INFO"], "size": len(body)}))
"""


def production(static_root: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "LOG_FORMAT"}}
    return {
        **clean,
        "DEBUG": "false",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "medtrack.example",
        "STATIC_ROOT": str(static_root),
    }


def test_collected_files_are_served_hashed_compressed_and_cached_for_a_year(
    tmp_path: Path,
) -> None:
    env = production(tmp_path / "static")
    # Django's admin files are left out to keep the test quick; ours are what it checks.
    skipped = ["--ignore", "admin", "--ignore", "django_otp", "--ignore", "otp_totp"]
    collect = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", *skipped],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert collect.returncode == 0, collect.stderr
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/app.css"]
    assert hashed != "css/app.css"
    assert (tmp_path / "static" / f"{hashed}.gz").exists()

    served = subprocess.run(
        [sys.executable, "-c", SERVE],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert served.returncode == 0, served.stderr
    (line,) = [line for line in served.stdout.splitlines() if line.startswith("RESULT ")]
    answer = json.loads(line.removeprefix("RESULT "))
    assert answer["path"] == f"/static/{hashed}"  # pages link to the hashed name
    assert answer["status"] == "200 OK"
    assert answer["headers"]["Cache-Control"] == "max-age=315360000, public, immutable"
    assert answer["headers"]["Content-Encoding"] == "gzip"
    assert answer["size"] > 0
