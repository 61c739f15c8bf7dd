"""Production passes ``check --deploy`` with nothing to say, every page carries the
security headers, and no template needs inline script or style (so the
Content-Security-Policy can forbid both)."""

from __future__ import annotations

import json
import os
import re
import secrets
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import User
from medtrack.storage import s3_origins
from medtrack.tests import test_settings


def load_settings(code: str, **env: str):
    """As in test_settings, without the test suite's own async opt-out (check
    --deploy rightly refuses DJANGO_ALLOW_ASYNC_UNSAFE)."""
    saved = os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    try:
        return test_settings.load_settings(code, **env)
    finally:
        if saved is not None:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = saved


PRODUCTION = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "medtrack.example",
    "SITE_URL": "https://medtrack.example",
}


def test_check_deploy_reports_no_issue_with_production_settings() -> None:
    result = load_settings(
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('check', deploy=True, fail_level='WARNING')",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout + result.stderr


def test_production_cookies_are_host_only_secure_and_http_only() -> None:
    result = load_settings(
        "import medtrack.wsgi, json; from django.conf import settings as s; print(json.dumps("
        "[s.SESSION_COOKIE_NAME, s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_NAME, s.CSRF_COOKIE_SECURE, "
        "s.SESSION_COOKIE_DOMAIN, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_PRELOAD]))",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        "__Host-sessionid",
        True,
        True,
        "Lax",
        "__Host-csrftoken",
        True,
        None,
        31536000,
        True,
    ]


def test_a_production_page_carries_every_security_header() -> None:
    result = load_settings(
        "import medtrack.wsgi, json; from django.test import Client, override_settings; "
        # (collectstatic's manifest is a build step; the headers do not depend on it.)
        "plain = {'BACKEND': 'django.contrib.staticfiles.storage.StaticFilesStorage'}; "
        "from django.conf import settings as s; "
        "o = override_settings(STORAGES={**s.STORAGES, 'staticfiles': plain}); o.enable(); "
        "r = Client().get('/accounts/login/', secure=True, headers={'host': 'medtrack.example'}); "
        "print(json.dumps({'status': r.status_code, **dict(r.headers), "
        "'cookies': {k: dict(v) for k, v in r.cookies.items()}}))",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    headers = json.loads(result.stdout.splitlines()[-1])
    assert headers["status"] == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"]
    assert "geolocation=()" in headers["Permissions-Policy"]
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    csrf = headers["cookies"]["__Host-csrftoken"]
    assert csrf["secure"] is True
    assert csrf["path"] == "/"
    assert not csrf["domain"]


@pytest.mark.django_db
def test_a_signed_in_page_has_the_policy_and_no_nonce_it_does_not_need(
    client: Client, primary: User
) -> None:
    client.force_login(primary)
    response = client.get(reverse("dashboard:home"))
    csp = response["Content-Security-Policy"]
    assert "style-src 'self';" in csp or csp.endswith("style-src 'self'")
    assert "nonce-" not in csp
    assert response["Permissions-Policy"] == settings.PERMISSIONS_POLICY
    assert response["X-Content-Type-Options"] == "nosniff"


def test_images_may_come_from_the_s3_endpoint_when_files_live_there() -> None:
    assert s3_origins("family", {"S3_ENDPOINT_URL": "http://127.0.0.1:9000/"}.get) == [
        "http://127.0.0.1:9000",
        "http://family.127.0.0.1:9000",
    ]
    assert s3_origins("family", {"S3_REGION": "eu-west-1"}.get) == [
        "https://family.s3.eu-west-1.amazonaws.com",
        "https://s3.eu-west-1.amazonaws.com",
    ]
    result = load_settings(
        "import medtrack.wsgi; from django.conf import settings as s; "
        "print(' '.join(s.SECURE_CSP['img-src']))",
        **PRODUCTION,
        S3_BUCKET="family",
        S3_ENDPOINT_URL="https://objects.example:8443",
    )
    assert result.returncode == 0, result.stderr
    assert "https://objects.example:8443" in result.stdout


#: Rendered for e-mail clients or WeasyPrint, never served as a page.
NOT_PAGES = ("emails/", "exports/report.html")
INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I),
    "event handler attribute": re.compile(r"<[^>]+\son[a-z]+\s*=", re.I),
    "style attribute": re.compile(r"<[^>]+\sstyle\s*=", re.I),
    "style element": re.compile(r"<style\b", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def page_templates() -> list[Path]:
    roots = [Path(settings.BASE_DIR) / "templates"] + [
        Path(settings.BASE_DIR) / app / "templates" for app in ("accounts", "audit")
    ]
    found = [path for root in roots if root.exists() for path in root.rglob("*.html")]
    return [path for path in found if not any(part in path.as_posix() for part in NOT_PAGES)]


def test_no_page_template_has_inline_script_or_style() -> None:
    templates = page_templates()
    assert len(templates) > 50
    problems = [
        f"{path.relative_to(settings.BASE_DIR)}: {what}"
        for path in templates
        for what, pattern in INLINE.items()
        if pattern.search(path.read_text())
    ]
    assert problems == []


def test_our_scripts_never_evaluate_strings() -> None:
    scripts = list((Path(settings.BASE_DIR) / "static" / "js").glob("*.js"))
    assert scripts
    for script in scripts:
        source = script.read_text()
        assert not re.search(r"\beval\(|new Function\(|\.innerHTML\s*=", source), script.name


@pytest.mark.parametrize(
    ("proxies", "forwarded", "seen"),
    [
        (0, "198.51.100.1", "10.0.0.2"),  # no proxy trusted: the header is ignored
        (1, "198.51.100.1", "198.51.100.1"),
        (1, "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # what the client wrote is not trusted
        (2, "198.51.100.1, 10.0.0.9", "198.51.100.1"),
        (2, "198.51.100.1", "10.0.0.2"),  # fewer hops than proxies: the direct peer
    ],
)
def test_the_client_address_comes_from_trusted_proxies_only(
    rf, settings, proxies: int, forwarded: str, seen: str
) -> None:
    from medtrack.net import client_address

    settings.TRUSTED_PROXY_COUNT = proxies
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", headers={"X-Forwarded-For": forwarded})
    assert client_address(request) == seen
