"""Personal secret tokens (``api_tokens``): made and revoked by their owner,
resolved in system context by the calendar feed and the sync API.

The secret is 256 bits, shown once; only its SHA-256 is stored, so a database
leak reveals no usable token and a lookup is one unique-index probe. Made from
a form, the secret is derived from the form's one-time token with the server's
key (HMAC), so a double submit makes one token and can still show its secret.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import uuid

from django.conf import settings
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import ApiToken, User
from medtrack.db import AlreadyCreated, insert_once
from medtrack.rls import system_context

PREFIX = "mt_"
_TOKEN_IDS = uuid.UUID("5d0c4e8a-2f57-4c1e-9a63-0f6b8b1c2d3e")


def hash_secret(secret: str) -> str:
    """Secrets (API tokens, invitation links) are stored as their SHA-256 only."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _derived(form_token: uuid.UUID) -> str:
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"api-token:{form_token}".encode(), hashlib.sha256
    ).digest()
    return PREFIX + base64.urlsafe_b64encode(digest).decode().rstrip("=")


@transaction.atomic
def token_create(
    *, user: User, name: str, scopes: list[str], form_token: uuid.UUID | None = None
) -> tuple[ApiToken, str]:
    """A new token and its secret (to show once). Submitted again with the same
    ``form_token``, the same token and secret (unless it was revoked meanwhile)."""
    secret = _derived(form_token) if form_token else PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        # Not the form token itself: the id shows on the page (revoke links), and
        # the form token with the server's key gives the secret.
        id=uuid.uuid5(_TOKEN_IDS, str(form_token)) if form_token else uuid.uuid4(),
        user=user,
        name=name,
        scopes=scopes,
        token_hash=hash_secret(secret),
    )
    token.full_clean(exclude=["token_hash"], validate_unique=False, validate_constraints=False)
    try:
        insert_once(token)
    except AlreadyCreated:
        existing = ApiToken.objects.filter(pk=token.pk, user=user, revoked_at__isnull=True).first()
        if existing is None or existing.token_hash != token.token_hash:
            raise
        return existing, secret
    return token, secret


@transaction.atomic
def tokens_revoke(tokens: QuerySet[ApiToken], now: dt.datetime | None = None) -> int:
    """Stop these tokens at once (those not revoked yet); how many were stopped."""
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=now or timezone.now())


def token_revoke(*, user: User, token_id: uuid.UUID, now: dt.datetime | None = None) -> bool:
    """Stop one of ``user``'s tokens; False if it is not theirs or already revoked."""
    return bool(tokens_revoke(ApiToken.objects.filter(pk=token_id, user=user), now))


def token_resolve(secret: str, scope: str, now: dt.datetime | None = None) -> ApiToken | None:
    """The live token with ``scope`` for ``secret``, or None. Runs in system
    context (nobody is logged in yet) and notes when it was last used."""
    if not secret.startswith(PREFIX) or len(secret) > 100 or "\x00" in secret:
        return None
    now = now or timezone.now()
    with system_context("resolve a personal token"):
        token = (
            ApiToken.objects.usable(now)
            .select_related("user")
            .filter(token_hash=hash_secret(secret), scopes__contains=[scope], user__is_active=True)
            .first()
        )
        if token is not None and (
            token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5)
        ):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def tokens_prune(*, now: dt.datetime, dry_run: bool = False) -> int:
    """Delete tokens revoked or expired more than ``API_TOKEN_KEEP_DAYS`` ago (a job).

    Until then their owner still sees them listed as stopped. A deleted token's
    rate-limit counts go with it; sync logs keep their rows with no token.
    Idempotent; runs in system context. ``dry_run`` counts them instead.
    """
    kept = now - dt.timedelta(days=settings.API_TOKEN_KEEP_DAYS)
    with system_context("prune personal tokens"):
        due = ApiToken.objects.filter(
            models.Q(revoked_at__lt=kept) | models.Q(expires_at__lt=kept)
        )
        if dry_run:
            return due.count()
        _total, by_model = due.delete()
        return by_model.get(ApiToken._meta.label, 0)
