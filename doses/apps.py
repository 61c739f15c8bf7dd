from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DosesConfig(AppConfig):
    name = "doses"
    verbose_name = _("Doses")
