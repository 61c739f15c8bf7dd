"""Writes for accounts. Views and forms call these; they hold the rules."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User, UserSettings


@transaction.atomic
def user_signup(*, email: str, name: str, password: str, timezone: str, language: str) -> User:
    """Create a caregiver account with its settings (time zone from the browser)."""
    user = User.objects.create_user(email=email, password=password, name=name.strip())
    settings = user.settings
    settings.timezone = timezone
    settings.language = language
    settings.full_clean()
    settings.save()
    return user


@transaction.atomic
def user_update_settings(
    *, user: User, name: str, timezone: str, units: dict[str, str], language: str
) -> None:
    user.name = name.strip()
    user.full_clean(exclude=["password"])
    user.save(update_fields=["name", "updated_at"])
    settings, _ = UserSettings.objects.get_or_create(user=user)
    settings.timezone = timezone
    settings.units = units
    settings.language = language
    settings.full_clean()
    settings.save()
