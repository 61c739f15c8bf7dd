"""Accounts (plan §1): the ``users`` table, its ``profiles`` view, and user settings."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.postgres.functions import RandomUUID
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from medtrack import fields
from medtrack.db import TransactionNow


class Role(models.TextChoices):
    CAREGIVER = "caregiver", _("Caregiver")
    ADMIN = "admin", _("Administrator")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        # The whole address is lower-cased: e-mail is the login, and people
        # do not expect Ana@Example.com and ana@example.com to be two accounts.
        return (email or "").strip().lower()

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email=self.normalize_email(username))

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("role", Role.CAREGIVER)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("role", Role.ADMIN)
        fields.setdefault("is_superuser", True)
        if fields["role"] != Role.ADMIN:
            raise ValueError("A superuser must have role=admin.")
        return self._create(email, password, **fields)

    def _create(self, email: str, password: str | None, **fields: Any) -> User:
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        # In the language the account was made in (signing up, or an invitation).
        language = (translation.get_language() or "").split("-")[0]
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        UserSettings.objects.using(self._db).get_or_create(
            user=user, defaults={"language": language}
        )
        return user


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: a family caregiver, or staff (``role = admin``).

    1. E-mail is the login and is stored lower-cased; ``lower(email)`` is also
       unique, so a row written around the ORM cannot create a twin account.
    2. Admin-site access derives from ``role`` (``is_staff`` is a property),
       so there is one switch to flip, not two that can disagree.
    3. Accounts are never deleted (the plan's foreign keys to ``users`` have no
       ON DELETE action): deleting an account deactivates and scrubs the row.
    """

    id = models.UUIDField(
        primary_key=True, default=uuid.uuid4, db_default=RandomUUID(), editable=False
    )
    email = models.TextField(_("e-mail"), unique=True, validators=[EmailValidator()])
    name = models.TextField(_("name"))
    avatar_url = models.TextField(_("avatar URL"), null=True, blank=True)  # noqa: DJ001 - as planned
    role = models.TextField(
        _("role"), choices=Role.choices, default=Role.CAREGIVER, db_default=Role.CAREGIVER
    )
    is_active = models.BooleanField(_("active"), default=True, db_default=True)
    created_at = models.DateTimeField(
        _("created"), default=timezone.now, db_default=TransactionNow(), editable=False
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_default=TransactionNow())

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        db_table = "users"
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["name", "email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="users_email_lower_key"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="users_role_check"
            ),
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")), name="users_email_lowercase_check"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def clean(self) -> None:
        super().clean()
        self.email = User.objects.normalize_email(self.email)

    @property
    def is_staff(self) -> bool:
        return self.is_active and self.role == Role.ADMIN

    @property
    def unit_preferences(self) -> dict[str, str]:
        """Units to enter and show readings in (``user_settings.units``); none yet: {}."""
        settings = getattr(self, "settings", None)
        return dict(settings.units or {}) if settings else {}

    @property
    def language(self) -> str:
        """The language to write to them in (``user_settings.language``)."""
        preferences = getattr(self, "settings", None)
        return preferences.language if preferences else settings.LANGUAGE_CODE

    @property
    def initials(self) -> str:
        parts = [part for part in self.name.split() if part]
        letters = (parts[0][0] + parts[-1][0]) if len(parts) > 1 else self.name[:2]
        return letters.upper() or "?"


class Profile(models.Model):
    """The plan's ``profiles`` table, consolidated as a read-only view over ``users``."""

    id = models.UUIDField(primary_key=True)
    email = models.TextField()
    name = models.TextField()
    avatar_url = models.TextField(null=True)  # noqa: DJ001 - as planned
    role = models.TextField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "profiles"

    def __str__(self) -> str:
        return self.email


def default_units() -> dict[str, str]:
    return {"weight": "kg", "temperature": "C", "glucose": "mg/dL", "length": "cm"}


UNIT_CHOICES: dict[str, list[tuple[str, Any]]] = {
    "weight": [("kg", _("kilograms (kg)")), ("lb", _("pounds (lb)"))],
    "temperature": [("C", _("Celsius (°C)")), ("F", _("Fahrenheit (°F)"))],
    "glucose": [("mg/dL", _("mg/dL")), ("mmol/L", _("mmol/L"))],
    "length": [("cm", _("centimetres (cm)")), ("in", _("inches (in)"))],
}


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("“%(value)s” is not a time zone we know."), params={"value": value}
        )


class UserSettings(models.Model):
    """Per-user preferences (DESIGN.md §B.1): time zone, units and language."""

    user = models.OneToOneField(
        User,
        primary_key=True,
        on_delete=models.DB_CASCADE,
        related_name="settings",
        verbose_name=_("user"),
    )
    timezone = models.TextField(
        _("time zone"), default="UTC", db_default="UTC", validators=[validate_timezone]
    )
    units = models.JSONField(_("units"), default=default_units, db_default=default_units())
    language = models.TextField(_("language"), default="en", db_default="en")
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_default=TransactionNow())

    class Meta:
        db_table = "user_settings"
        verbose_name = _("user settings")
        verbose_name_plural = _("user settings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(language__in=["en", "es"]), name="user_settings_language_check"
            ),
        ]

    def __str__(self) -> str:
        return f"settings of {self.user_id}"


class Scope(models.TextChoices):
    CALENDAR_READ = "calendar:read", _("Read my calendar")
    SYNC = "sync", _("Sync an app")


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self, now: dt.datetime) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A personal secret for a calendar app or a sync client (DESIGN.md §B.1).

    Only a SHA-256 hash of the secret is stored: the secret is shown once, when
    it is made, and cannot be shown again.
    """

    id = fields.uuid_pk()
    user = models.ForeignKey(
        User, on_delete=models.DB_CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = fields.TextField(_("name"))
    token_hash = fields.TextField(_("secret (hashed)"), unique=True, editable=False)
    scopes = fields.ArrayField(models.TextField(choices=Scope.choices), verbose_name=_("scopes"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    created_at = fields.created_at(verbose_name=_("created"))

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        db_table = "api_tokens"
        verbose_name = _("personal token")
        verbose_name_plural = _("personal tokens")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scopes__contained_by=Scope.values) & ~models.Q(scopes=[]),
                name="api_tokens_scopes_check",
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="api_tokens_name_check"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({', '.join(self.scopes)})"


class FormDraft(models.Model):
    """What someone was typing when their session ended (idle or absolute limit).

    Kept on the server, never in the browser: the form they return to after
    signing in again is filled from it once, then it is gone. Old ones are
    pruned by the job runner (``FORM_DRAFT_KEEP_DAYS``).
    """

    id = fields.uuid_pk()
    user = models.ForeignKey(
        User, on_delete=models.DB_CASCADE, related_name="+", verbose_name=_("user")
    )
    path = models.TextField(_("page"))
    data = models.JSONField(_("what was typed"))
    created_at = fields.created_at()

    class Meta:
        db_table = "form_drafts"
        verbose_name = _("form draft")
        verbose_name_plural = _("form drafts")
        constraints = [
            models.UniqueConstraint(fields=["user", "path"], name="form_drafts_user_path_key"),
        ]

    def __str__(self) -> str:
        return f"draft of {self.path}"
