from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Connect their receivers: the session clock at login, lockouts to the access log.
        from accounts import session_limits, throttle  # noqa: F401
