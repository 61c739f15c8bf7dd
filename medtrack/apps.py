from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MedtrackConfig(AppConfig):
    name = "medtrack"
    verbose_name = _("MedTrack")

    def ready(self) -> None:
        from medtrack import checks  # noqa: F401 - registers the system checks
