"""The password backend, loading each request's user with their settings."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import backends

from accounts.models import User


class ModelBackend(backends.ModelBackend):
    """Django's, except that the session's user comes with ``user.settings`` in
    the same query: every page needs the language and time zone from it."""

    def get_user(self, user_id: Any) -> User | None:
        try:
            user = User._default_manager.select_related("settings").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
