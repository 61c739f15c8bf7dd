"""Configuration comes from the environment through strict helpers."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from medtrack.env import env_bool, env_int, env_list, env_secret


def load_settings(code: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    """Start the app's WSGI entry point in a fresh interpreter (outside pytest, so not in
    test mode) and print two settings."""
    clean = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}
    }
    code = code or (
        "import medtrack.wsgi; from django.conf import settings as s; "
        'print(s.DEBUG, getattr(s, "SECURE_SSL_REDIRECT", False))'
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = load_settings(ALLOWED_HOSTS="medtrack.example")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts() -> None:
    result = load_settings(SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_production_starts_with_both_and_secure_defaults() -> None:
    result = load_settings(SECRET_KEY="x" * 50, ALLOWED_HOSTS="medtrack.example")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]


def test_the_system_checks_stop_commands_like_migrate_in_production_without_secrets() -> None:
    result = load_settings(
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('check', databases=['default'])"
    )
    assert result.returncode != 0
    assert "medtrack.E006" in result.stderr
    assert "medtrack.E007" in result.stderr


def test_tooling_that_needs_no_secret_still_runs_in_production_mode() -> None:
    result = load_settings(
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('makemigrations', '--check', '--dry-run', verbosity=0)"
    )
    assert result.returncode == 0, result.stderr


def test_development_keeps_a_generated_secret_under_var() -> None:
    result = load_settings(DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert (settings.VAR_DIR / "secret_key").exists()


def test_booleans_are_strict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLAG", "ture")
    with pytest.raises(ImproperlyConfigured, match="not a boolean"):
        env_bool("FLAG", False)
    monkeypatch.setenv("FLAG", "Yes")
    assert env_bool("FLAG", False) is True


def test_numbers_and_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("N", "twelve")
    with pytest.raises(ImproperlyConfigured, match="whole number"):
        env_int("N", 1)
    monkeypatch.setenv("HOSTS", "a.example, b.example,,")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]


def test_secrets_can_come_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("TOKEN_FILE", str(secret))
    assert env_secret("TOKEN") == "s3cret"
    monkeypatch.setenv("TOKEN", "also")
    with pytest.raises(ImproperlyConfigured, match="not both"):
        env_secret("TOKEN")
