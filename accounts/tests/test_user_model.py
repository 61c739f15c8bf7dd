from __future__ import annotations

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.db import IntegrityError, connection, transaction

from accounts.models import Profile, User

pytestmark = pytest.mark.django_db


def test_emails_are_stored_lower_cased() -> None:
    user = User.objects.create_user(email="  Mixed.Case@Example.COM ", password="x", name="M")
    assert user.email == "mixed.case@example.com"


def test_the_database_refuses_a_twin_account_written_around_the_orm(primary: User) -> None:
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO users (email, name, password, is_superuser) VALUES (%s, 'Twin', '', false)",
            ["ALICE@example.com"],
        )


def test_the_database_fills_the_plan_defaults_for_rows_written_around_the_orm() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO users (email, name, password, is_superuser) VALUES ('raw@example.com', 'Raw', '', false)"
        )
    user = User.objects.get(email="raw@example.com")
    assert user.role == "caregiver"
    assert user.is_active is True
    assert user.created_at is not None


def test_admin_access_derives_from_the_role(primary: User, staff: User) -> None:
    assert primary.is_staff is False
    assert staff.is_staff is True
    assert staff.role == "admin"
    staff.is_active = False
    assert staff.is_staff is False


def test_a_superuser_must_be_an_admin() -> None:
    with pytest.raises(ValueError, match="role=admin"):
        User.objects.create_superuser(
            email="x@example.com", password="x", name="X", role="caregiver"
        )


def test_passwords_are_hashed_with_argon2_outside_the_tests(settings) -> None:
    settings.PASSWORD_HASHERS = settings.PASSWORD_HASHERS[1:]
    user = User.objects.create_user(email="argon@example.com", password="a-long-secret", name="A")
    assert identify_hasher(user.password).algorithm == "argon2"


def test_initials_stand_in_for_an_avatar() -> None:
    assert User(name="ana maría garcía").initials == "AG"
    assert User(name="Bo").initials == "BO"


def test_the_profiles_view_reflects_users(primary: User) -> None:
    profile = Profile.objects.get(pk=primary.pk)
    assert (profile.email, profile.name, profile.role) == (
        primary.email,
        primary.name,
        "caregiver",
    )


def test_every_user_gets_settings_with_sensible_defaults(primary: User) -> None:
    assert primary.settings.timezone == "UTC"
    assert primary.settings.units["glucose"] == "mg/dL"
    assert primary.settings.language == "en"
