from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medtrack.settings")
application = get_wsgi_application()

from medtrack.checks import refuse_to_start_without_secrets  # noqa: E402

refuse_to_start_without_secrets()
