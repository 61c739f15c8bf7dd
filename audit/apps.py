from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate, pre_migrate

        from audit import receivers  # noqa: F401 - connects the auth signal receivers

        # The view reads whole rows of the history tables, which would block
        # migrations from changing them: drop it first, rebuild it after.
        pre_migrate.connect(_drop_activity_view, sender=self, dispatch_uid="audit_drop_activity")
        post_migrate.connect(
            _rebuild_activity_view, sender=self, dispatch_uid="audit_activity_view"
        )


def _drop_activity_view(using: str = "default", **kwargs: object) -> None:
    from django.db import connections

    with connections[using].cursor() as cursor:
        cursor.execute("DROP VIEW IF EXISTS activity")


def _rebuild_activity_view(using: str = "default", **kwargs: object) -> None:
    from audit.activity import rebuild_view

    rebuild_view(using)
