"""Two-step sign-in (django-otp): an authenticator app (TOTP) and one-time backup codes.

The rules, and why:

1. Only a **confirmed** TOTP device turns two-step sign-in on. Enrolment makes
   an unconfirmed device and shows its key; it counts for nothing until the
   person types a code from it, which proves the phone holds the key.
2. **Backup codes** are the tokens of one static device, ten at a time. Each
   works once (django-otp deletes a token when it matches). They are stored as
   a keyed hash (HMAC-SHA-256 with ``SECRET_KEY``, cut to the column's 16
   characters), never in clear: a copy of the database yields no usable code.
   Backup codes alone do not turn two-step sign-in on.
3. **Throttling** is django-otp's, per device and in the database: after a
   wrong code the next try waits 1, 2, 4, 8 … seconds, whichever browser it
   comes from. :func:`verify` says how long, so the page can.
4. A code is told apart by its shape: six digits are for the app, ten letters
   and digits (dashes and spaces ignored) are a backup code. One field takes
   both, so a person with a lost phone needs no other page.
5. Turning it on or off and making new backup codes are written to the access
   log (``two_factor_on``, ``two_factor_off``, ``backup_codes``).

The OTP tables carry no row level security, like ``users``: they are read
before anyone is signed in (the login's second step, ``OTPMiddleware``).
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import django_otp
import segno
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.safestring import SafeString, mark_safe
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from audit.services import access_log_record
from medtrack.middleware import verified

ISSUER = "MedTrack"
APP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"
BACKUP_CODE_COUNT = 10
BACKUP_CODE_LENGTH = 10
# No 0/o, 1/l/i: codes are read off paper and typed on a phone.
BACKUP_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
#: An enrolment key not confirmed within this time is replaced by a new one.
ENROLMENT_KEY_LIFETIME = dt.timedelta(minutes=30)


class Outcome(enum.Enum):
    VERIFIED = "verified"
    WRONG = "wrong"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class Verification:
    outcome: Outcome
    device: Device | None = None
    #: Which kind of code was tried: "app" or "backup".
    method: str = "app"
    #: When throttled: the seconds to wait before the next try.
    wait_seconds: int = 0

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.VERIFIED


@dataclass(frozen=True)
class Status:
    """What the Settings page says about a person's two-step sign-in."""

    enabled: bool
    since: dt.datetime | None = None
    backup_codes_left: int = 0


# -- Reads ---------------------------------------------------------------------------


def app_device(user: Any) -> TOTPDevice | None:
    """The person's confirmed authenticator app, if they turned two-step sign-in on."""
    if not getattr(user, "is_authenticated", False):
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def is_enabled(user: Any) -> bool:
    return app_device(user) is not None


def is_verified(user: Any) -> bool:
    """True if this session proved a code (``OTPMiddleware`` sets ``is_verified``)."""
    return verified(user)


def backup_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def status(user: User) -> Status:
    """Two queries: the app device, and the backup codes left."""
    device = app_device(user)
    if device is None:
        return Status(enabled=False)
    return Status(
        enabled=True,
        since=device.created_at,
        backup_codes_left=backup_codes_left(user),
    )


def provisioning_uri(device: TOTPDevice) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code
    (Google's key URI format), labelled "MedTrack: <e-mail>"."""
    label = quote(f"{ISSUER}:{device.user.email}")
    query = urlencode(
        {
            "secret": secret_base32(device),
            "issuer": ISSUER,
            "algorithm": "SHA1",
            "digits": device.digits,
            "period": device.step,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"


def secret_base32(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def secret_for_typing(device: TOTPDevice) -> str:
    """The key in groups of four, as people type it into an app by hand."""
    key = secret_base32(device)
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def qr_svg(device: TOTPDevice, title: str) -> SafeString:
    """The QR code as inline SVG markup: no ``data:`` URI, no inline style, so
    the page keeps its strict Content-Security-Policy. Black on white whatever
    the page's colours, which scanners need."""
    code = segno.make(provisioning_uri(device), error="m")
    svg = code.svg_inline(
        scale=1,
        border=4,
        dark="#000",
        light="#fff",
        omitsize=True,
        svgclass="qr-code",
        lineclass=None,
        title=title,
    )
    # segno writes every byte of this markup; the only text in it is our title,
    # which segno escapes.
    return mark_safe(svg)  # noqa: S308


# -- Codes ---------------------------------------------------------------------------


def normalize(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def kind_of(code: str) -> str | None:
    """ "app" for six digits, "backup" for a backup code's shape, else None."""
    if len(code) == 6 and code.isascii() and code.isdigit():
        return "app"
    if len(code) == BACKUP_CODE_LENGTH and all(c in BACKUP_CODE_ALPHABET for c in code):
        return "backup"
    return None


def backup_code_hash(code: str) -> str:
    """What is stored for a backup code (StaticToken.token holds 16 characters)."""
    return salted_hmac(
        "medtrack.accounts.two_factor.backup_code", code, algorithm="sha256"
    ).hexdigest()[:16]


def _new_backup_code() -> str:
    return "".join(secrets.choice(BACKUP_CODE_ALPHABET) for _ in range(BACKUP_CODE_LENGTH))


def format_backup_code(code: str) -> str:
    half = BACKUP_CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def _wait_seconds(device: Device, now: dt.datetime) -> int:
    allowed, info = device.verify_is_allowed()
    if allowed or not info or "locked_until" not in info:
        return 0
    return max(1, int((info["locked_until"] - now).total_seconds() + 0.999))


def verify(*, user: User, code: str, device: TOTPDevice | None = None) -> Verification:
    """Check ``code`` (normalized) against the person's app or backup codes.

    ``device`` names an unconfirmed app device to check instead (enrolment).
    The device is locked for the check (``select_for_update``), so two
    requests cannot both use one code; a wrong code counts towards throttling.
    """
    method = kind_of(code)
    if method is None or (device is not None and method != "app"):
        return Verification(Outcome.WRONG, method=method or "app")
    now = timezone.now()
    with transaction.atomic():
        found: Device | None
        if method == "app":
            queryset = TOTPDevice.objects.filter(user=user)
            queryset = queryset.filter(pk=device.pk) if device else queryset.filter(confirmed=True)
            found = queryset.select_for_update().order_by("-pk").first()
            token = code
        else:
            found = (
                StaticDevice.objects.filter(user=user, confirmed=True)
                .select_for_update()
                .order_by("-pk")
                .first()
            )
            token = backup_code_hash(code)
        if found is None:
            return Verification(Outcome.WRONG, method=method)
        wait = _wait_seconds(found, now)
        if wait:
            return Verification(Outcome.THROTTLED, found, method, wait_seconds=wait)
        if found.verify_token(token):
            return Verification(Outcome.VERIFIED, found, method)
        return Verification(Outcome.WRONG, found, method)


# -- Writes --------------------------------------------------------------------------


@transaction.atomic
def enrolment_device(*, user: User, now: dt.datetime | None = None) -> TOTPDevice:
    """The unconfirmed device whose key the set-up page shows: the same one while
    the person is setting up (a reload shows the same QR code), a new key after
    ``ENROLMENT_KEY_LIFETIME``."""
    now = now or timezone.now()
    pending = TOTPDevice.objects.filter(user=user, confirmed=False)
    current = pending.filter(created_at__gt=now - ENROLMENT_KEY_LIFETIME).order_by("-pk").first()
    if current is not None:
        return current
    pending.delete()
    device = TOTPDevice(user=user, name=APP_DEVICE_NAME, confirmed=False)
    device.full_clean()
    device.save()
    return device


@transaction.atomic
def backup_codes_replace(*, user: User, request: HttpRequest | None) -> list[str]:
    """Ten new backup codes (the old ones stop working); the codes, to show once."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
    codes = [_new_backup_code() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=backup_code_hash(code)) for code in codes
    )
    if request is not None:
        access_log_record(
            request=request,
            action="backup_codes",
            actor=user,
            object_type="user",
            object_id=str(user.pk),
        )
    return [format_backup_code(code) for code in codes]


@transaction.atomic
def enrolment_confirm(
    *, user: User, device: TOTPDevice, code: str, request: HttpRequest
) -> tuple[Verification, list[str]]:
    """Turn two-step sign-in on if ``code`` comes from ``device`` (the unconfirmed
    one on the set-up page): the device is confirmed, any other app device is
    removed, and the first backup codes are made. The result and the codes."""
    result = verify(user=user, code=code, device=device)
    if not result.ok or result.method != "app":
        return result, []
    TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
    device.confirmed = True
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    access_log_record(
        request=request,
        action="two_factor_on",
        actor=user,
        object_type="user",
        object_id=str(user.pk),
    )
    codes = backup_codes_replace(user=user, request=None)
    return Verification(Outcome.VERIFIED, device, "app"), codes


@transaction.atomic
def two_factor_disable(*, user: User, request: HttpRequest, actor: User) -> bool:
    """Remove the person's app and backup codes (their own choice, or staff for a
    lost phone, so they can set it up again); False if it was not on."""
    apps_removed, _ = TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    if not apps_removed:
        return False
    access_log_record(
        request=request,
        action="two_factor_off",
        actor=actor,
        object_type="user",
        object_id=str(user.pk),
        detail={"by": "self" if actor.pk == user.pk else "staff"},
    )
    return True


def session_verified(request: HttpRequest, device: Device) -> None:
    """Mark this (signed-in) session as having proved a code with ``device``.

    The session gets a new key first: it has just gained rights (the admin,
    for staff), and a key planted beforehand must not gain them too.
    """
    request.session.cycle_key()
    django_otp.login(request, device)


# -- The login's second step -----------------------------------------------------------

#: The password step keeps only this in the (anonymous) session: who, which
#: backend, where to go next, since when, and the password's fingerprint.
PENDING_SESSION_KEY = "two_factor_pending"
#: The code step must follow the password within this time.
PENDING_LIFETIME = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Pending:
    user: User
    backend: str
    next_url: str


def pending_start(request: HttpRequest, *, user: User, next_url: str) -> None:
    """After a correct password, for a person with two-step sign-in on: remember
    them for the code step without logging in (so no ``user_logged_in`` yet).
    A new session key, so a key planted before the password does not carry it."""
    request.session.cycle_key()
    request.session[PENDING_SESSION_KEY] = {
        "user_id": str(user.pk),
        "backend": user.backend,  # set by authenticate()
        "next": next_url,
        "started": timezone.now().timestamp(),
        "password": user.get_session_auth_hash(),
    }


def pending_user(request: HttpRequest) -> Pending | None:
    """The person between the password and the code, or None (also when it took
    longer than ``PENDING_LIFETIME``, the account was closed or its password changed)."""
    data = request.session.get(PENDING_SESSION_KEY)
    if not isinstance(data, dict):
        return None
    started = dt.datetime.fromtimestamp(data.get("started", 0), tz=dt.UTC)
    user_id = data.get("user_id")
    user = (
        User.objects.filter(pk=user_id, is_active=True).first()
        if isinstance(user_id, str)
        else None
    )
    if (
        timezone.now() - started > PENDING_LIFETIME
        or user is None
        or not constant_time_compare(data.get("password", ""), user.get_session_auth_hash())
    ):
        pending_clear(request)
        return None
    return Pending(user=user, backend=data["backend"], next_url=data.get("next", ""))


def pending_clear(request: HttpRequest) -> None:
    request.session.pop(PENDING_SESSION_KEY, None)
