"""Writes for accounts. Views and forms call these; they hold the rules."""

from __future__ import annotations

import hashlib
import uuid
from typing import IO

from django.db import transaction
from django.urls import reverse

from accounts.models import User, UserSettings
from caregivers.models import PatientCaregiver


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


def avatar_path(user: User) -> str:
    return f"avatars/{user.pk}.webp"


def avatar_set(*, user: User, upload: IO[bytes]) -> None:
    """Store ``user``'s picture privately (square, EXIF-free) and point
    ``avatar_url`` at the checked view; the version busts browser caches."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from files.inspect import avatar

    picture = avatar(upload)
    path = avatar_path(user)
    default_storage.delete(path)
    default_storage.save(path, ContentFile(picture))
    version = hashlib.sha256(picture).hexdigest()[:12]
    user.avatar_url = f"{reverse('accounts:avatar', args=[user.pk])}?v={version}"
    user.save(update_fields=["avatar_url", "updated_at"])


def avatar_remove(*, user: User) -> None:
    from django.core.files.storage import default_storage

    default_storage.delete(avatar_path(user))
    user.avatar_url = None
    user.save(update_fields=["avatar_url", "updated_at"])


def may_see_avatar(viewer: User, owner_id: uuid.UUID) -> bool:
    """Oneself, staff, or someone on a care team with them (the database's rule
    on patient_caregivers agrees: other teams' rows are not visible)."""
    if viewer.pk == owner_id or viewer.is_staff:
        return True
    mine = PatientCaregiver.objects.filter(
        caregiver=viewer, is_active=True, patient__is_deleted=False
    ).values("patient_id")
    return PatientCaregiver.objects.filter(
        caregiver_id=owner_id, is_active=True, patient_id__in=mine
    ).exists()
