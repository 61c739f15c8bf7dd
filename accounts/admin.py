from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from accounts.models import User, UserSettings


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
