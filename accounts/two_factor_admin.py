"""Two-step sign-in in the admin: who has it on, and removing a lost phone.

These replace django-otp's own admin classes, which show the TOTP key, a QR
code of it, and the backup codes. Here staff see only facts (since when, last
used, failed tries) and can remove a person's app, which also removes their
backup codes, so the person can set it up again with a new phone.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from accounts.models import User


def _staff(request: HttpRequest) -> User:
    return cast(User, request.user)  # the admin lets only signed-in staff this far


READ_ONLY = (
    "user",
    "name",
    "confirmed",
    "created_at",
    "last_used_at",
    "throttling_failure_count",
    "throttling_failure_timestamp",
)


class TOTPDeviceAdmin(admin.ModelAdmin):
    list_display = ["user", "confirmed", "created_at", "last_used_at", "throttling_failure_count"]
    list_filter = ["confirmed", "created_at", "last_used_at"]
    search_fields = ["user__email", "user__name"]
    search_help_text = _("Search by the person's e-mail or name.")
    list_select_related = ["user"]
    ordering = ["-created_at"]
    fieldsets = [
        (
            None,
            {
                "fields": READ_ONLY,
                "description": _(
                    "Deleting this turns off two-step sign-in for the person (their "
                    "backup codes go too), so they can set it up again with a new phone. "
                    "Make sure it is really them who is asking. The key is never shown."
                ),
            },
        )
    ]
    readonly_fields = READ_ONLY

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # only its owner can make one, from their own phone

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: TOTPDevice) -> None:
        two_factor.two_factor_disable(user=obj.user, request=request, actor=_staff(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[TOTPDevice]) -> None:
        for device in queryset.select_related("user"):
            two_factor.two_factor_disable(user=device.user, request=request, actor=_staff(request))


class StaticDeviceAdmin(admin.ModelAdmin):
    """Backup codes: how many are left, never the codes (stored hashed anyway)."""

    list_display = ["user", "codes_left", "created_at", "last_used_at"]
    search_fields = ["user__email", "user__name"]
    list_select_related = ["user"]
    fields = readonly_fields = ("user", "codes_left", "created_at", "last_used_at")
    ordering = ["-created_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[StaticDevice]:
        return super().get_queryset(request).annotate(codes=Count("token_set"))

    @admin.display(description=_("codes left"), ordering="codes")
    def codes_left(self, device: Any) -> int:
        return device.codes

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # remove the person's app instead: that removes these too


def register(site: admin.AdminSite) -> None:
    """Ours win whichever registers first (django-otp's own ignore AlreadyRegistered)."""
    for model, model_admin in ((TOTPDevice, TOTPDeviceAdmin), (StaticDevice, StaticDeviceAdmin)):
        if site.is_registered(model):
            site.unregister(model)
        site.register(model, model_admin)


register(admin.site)
