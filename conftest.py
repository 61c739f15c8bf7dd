"""The shared test cast and browser set-up.

The cast (healthchecks-style): ``primary`` runs the care, ``secondary`` helps,
``viewer`` only reads, ``stranger`` has nothing to do with the patient. Team
membership and the patient arrive with the patients app.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest

from accounts.models import User

# live_server + Playwright's sync API share a thread with an event loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "correct-horse-battery"


def make_user(email: str, name: str, **fields: Any) -> User:
    return User.objects.create_user(email=email, password=PASSWORD, name=name, **fields)


@pytest.fixture
def primary(db: None) -> User:
    return make_user("alice@example.com", "Alice Primary")


@pytest.fixture
def secondary(db: None) -> User:
    return make_user("bob@example.com", "Bob Secondary")


@pytest.fixture
def viewer(db: None) -> User:
    return make_user("vera@example.com", "Vera Viewer")


@pytest.fixture
def stranger(db: None) -> User:
    return make_user("charlie@example.com", "Charlie Stranger")


@pytest.fixture
def staff(db: None) -> User:
    return User.objects.create_superuser(
        email="admin@example.com", password=PASSWORD, name="Sam Staff"
    )


# -- Browser (pytest-playwright with Debian's Chromium) ---------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(
            "Chromium is not installed (apt-get install chromium); .ci/run installs it, "
            "so CI never skips browser tests."
        )
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }
