"""System checks that keep the database arrangement honest.

Row level security only protects patient data if the app's login role can
neither skip it (superuser, BYPASSRLS) nor switch it off (table owner).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.db import DatabaseError, connections

FIX = (
    "Log in as the app role (medtrack_app) in DATABASE_URL. Prepare a server with "
    "`manage.py setup_database --admin-url postgres://SUPERUSER@HOST/postgres` and run "
    "migrations with `manage.py migrate`, which act as the owner role."
)


def role_problems(
    *, role: str, superuser: bool, bypass_rls: bool, owned: list[str]
) -> list[Error]:
    """The errors for a login role with the given attributes (pure, so it is testable)."""
    errors = []
    if superuser:
        errors.append(
            Error(f"The database role {role!r} is a superuser.", hint=FIX, id="medtrack.E002")
        )
    if bypass_rls:
        errors.append(
            Error(f"The database role {role!r} has BYPASSRLS.", hint=FIX, id="medtrack.E003")
        )
    if owned:
        shown = ", ".join(sorted(owned)[:5]) + (" …" if len(owned) > 5 else "")
        errors.append(
            Error(
                f"The database role {role!r} owns {len(owned)} table(s) ({shown}); row level "
                "security does not apply to a table's owner.",
                hint=FIX + " Then `ALTER TABLE … OWNER TO medtrack_owner` for each table listed.",
                id="medtrack.E004",
            )
        )
    return errors


def production_problems() -> list[Error]:
    if settings.DEVELOPMENT:
        return []
    errors = []
    if settings.SECRET_KEY_MISSING:
        errors.append(
            Error(
                "SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off.",
                hint="Generate one: python -c 'import secrets; print(secrets.token_urlsafe(60))'",
                id="medtrack.E006",
            )
        )
    if not settings.ALLOWED_HOSTS:
        errors.append(
            Error(
                "ALLOWED_HOSTS must be set when DEBUG is off, e.g. medtrack.example.",
                hint="A comma-separated list of the host names this site answers to.",
                id="medtrack.E007",
            )
        )
    return errors


@register(Tags.database)  # migrate, check --database
@register(deploy=True)  # check --deploy
def check_production_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Refuse to migrate or deploy without secrets; makemigrations and the like still run."""
    return list(production_problems())


def refuse_to_start_without_secrets() -> None:
    """Called by the WSGI/ASGI entry points: production never serves without its secrets."""
    from django.core.exceptions import ImproperlyConfigured

    problems = production_problems()
    if problems:
        raise ImproperlyConfigured(" ".join(problem.msg for problem in problems))


@register(deploy=True)
def check_site_url(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Links in e-mails (invitations) need the site's public address."""
    if settings.SITE_URL.startswith("https://"):
        return []
    return [
        Error(
            "SITE_URL must be the public https:// address of this site.",
            hint="Set SITE_URL, e.g. https://medtrack.example.org; e-mailed links use it.",
            id="medtrack.E005",
        )
    ]


@register()
def check_database_role(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.EMBEDDED_DATABASE and not (settings.VAR_DIR / "database_url").exists():
        return [
            Error(
                "DATABASE_URL is unset and the embedded PostgreSQL has not been started.",
                hint="Run `make run` (or `make db`), or set DATABASE_URL.",
                id="medtrack.E001",
            )
        ]
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            # session_user: the login role, also while migrate acts as the owner.
            cursor.execute(
                """
                SELECT r.rolname, r.rolsuper, r.rolbypassrls,
                       ARRAY(SELECT c.relname FROM pg_class c
                             WHERE c.relowner = r.oid AND c.relkind IN ('r', 'p', 'v', 'm')
                               AND c.relnamespace = 'public'::regnamespace)
                FROM pg_roles r WHERE r.rolname = session_user
                """
            )
            role, superuser, bypass_rls, owned = cursor.fetchone()
    except DatabaseError:
        return []  # Unreachable databases are reported by the command that needs them.
    return list(role_problems(role=role, superuser=superuser, bypass_rls=bypass_rls, owned=owned))
