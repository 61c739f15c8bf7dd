from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import two_factor_admin  # noqa: F401 - the device admins, before django-otp's own
from accounts.models import ApiToken, User, UserSettings
from accounts.tokens import tokens_revoke


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name", "role")
        field_classes = {"email": forms.EmailField}
        widgets = {"name": forms.TextInput}

    def clean_username(self) -> str:
        # MedTrack has no username; e-mail uniqueness is checked by the model.
        return ""


class UserChangeAdminForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
        field_classes = {"email": forms.EmailField}
        widgets = {"name": forms.TextInput, "avatar_url": forms.URLInput}


class UserSettingsInline(admin.StackedInline):
    model = UserSettings
    can_delete = False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    inlines = [UserSettingsInline]
    list_display = [
        "email",
        "name",
        "role",
        "is_active",
        "is_superuser",
        "last_login",
        "created_at",
    ]
    list_filter = ["role", "is_active", "is_superuser", "created_at"]
    search_fields = ["email", "name"]
    ordering = ["email"]
    readonly_fields = ["last_login", "created_at", "updated_at"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("name", "avatar_url")}),
        (
            _("Access"),
            {
                "fields": ("role", "is_active", "is_superuser", "groups", "user_permissions"),
                "description": _("Administrators (role “admin”) may use this site."),
            },
        ),
        (_("Dates"), {"fields": ("last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "name", "role", "usable_password", "password1", "password2"),
            },
        ),
    )
    filter_horizontal = ("groups", "user_permissions")

    def get_inlines(self, request, obj):
        # New users get default settings from the manager; edit them afterwards.
        return self.inlines if obj is not None else []


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Personal tokens: staff see names, owners, use and state, and can revoke;
    the secret itself is never stored, and its hash is not shown either."""

    list_display = ["name", "user", "scopes", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at", "created_at"]
    search_fields = ["name", "user__email"]
    fields = readonly_fields = (
        "name",
        "user",
        "scopes",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    list_select_related = ["user"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made by their owner, shown to them once

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = tokens_revoke(queryset)
        self.message_user(
            request,
            ngettext("%(n)s token revoked.", "%(n)s tokens revoked.", count) % {"n": count},
        )
