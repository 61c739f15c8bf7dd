"""The admin opens only for staff in a session that proved a two-step code
(medtrack.admin_site), and shows two-step sign-in without its secrets."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from accounts.models import User
from audit.models import AccessLog
from conftest import PASSWORD, Client, make_user, totp_code, two_factor_on
from medtrack.admin_site import MedTrackAdminSite
from medtrack.rls import system_context

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")
ADMIN_LOGIN = reverse("admin:login")
VERIFY = reverse("accounts:two_factor_verify")
SETUP = reverse("accounts:two_factor_setup")


@pytest.fixture
def new_staff(db: None) -> User:
    """An administrator who has not set up two-step sign-in."""
    return make_user("sol@example.com", "Sol Staff", role="admin")


def test_the_default_admin_site_is_ours() -> None:
    assert isinstance(admin.site._wrapped, MedTrackAdminSite)
    assert admin.site.is_registered(TOTPDevice)


def test_anonymous_visitors_are_sent_to_our_login(client: Client) -> None:
    response = client.get(INDEX, follow=True)
    assert response.redirect_chain == [
        (f"{ADMIN_LOGIN}?next={INDEX}", 302),
        ("/accounts/login/?next=/admin/", 302),
    ]
    # The admin's own password form is gone: a POST gets the same redirect.
    response = client.post(ADMIN_LOGIN, {"username": "admin@example.com", "password": PASSWORD})
    assert "/accounts/login/" in response["Location"]


def test_staff_without_two_step_sign_in_are_sent_to_set_it_up(
    client: Client, new_staff: User
) -> None:
    client.force_login(new_staff)

    response = client.get(INDEX, follow=True)

    assert response.redirect_chain == [
        (f"{ADMIN_LOGIN}?next={INDEX}", 302),
        (f"{SETUP}?next=%2Fadmin%2F", 302),
    ]
    html = response.content.decode()
    assert "The administration opens only with two-step sign-in" in html
    assert "As an administrator you need two-step sign-in" in html


def test_staff_who_set_it_up_go_on_to_the_admin(client: Client, new_staff: User) -> None:
    client.force_login(new_staff)
    client.get(f"{SETUP}?next=/admin/")
    device = TOTPDevice.objects.get(user=new_staff)

    done = client.post(f"{SETUP}?next=/admin/", {"code": totp_code(device), "next": "/admin/"})
    codes_page = client.get(done["Location"])

    assert 'href="/admin/"' in codes_page.content.decode()
    assert client.get(INDEX).status_code == 200


def test_staff_with_a_device_but_an_unverified_session_enter_a_code(
    client: Client, staff: User
) -> None:
    client.force_login(staff, verified=False)

    response = client.get(INDEX, follow=True)

    assert response.redirect_chain[-1] == (f"{VERIFY}?next=%2Fadmin%2F", 302)
    assert "Enter a code from your authenticator app to continue." in response.content.decode()
    device = TOTPDevice.objects.get(user=staff)
    after = client.post(f"{VERIFY}?next=%2Fadmin%2F", {"code": totp_code(device)})
    assert after["Location"] == "/admin/"
    assert client.get(INDEX).status_code == 200


def test_staff_who_log_in_with_password_and_code_open_the_admin(
    client: Client, staff: User
) -> None:
    device = TOTPDevice.objects.get(user=staff)
    step = client.post(
        f"/accounts/login/?next={INDEX}",
        {"username": staff.email, "password": PASSWORD, "next": INDEX},
    )
    assert step["Location"] == VERIFY
    assert client.get(INDEX)["Location"].startswith(ADMIN_LOGIN)  # not yet

    assert client.post(VERIFY, {"code": totp_code(device)})["Location"] == INDEX
    assert client.get(INDEX).status_code == 200


def test_a_verified_staff_session_opens_the_admin(client: Client, staff: User) -> None:
    client.force_login(staff)
    assert client.get(INDEX).status_code == 200
    assert client.get(ADMIN_LOGIN)["Location"] == INDEX


def test_caregivers_with_two_step_sign_in_still_cannot_use_the_admin(
    client: Client, primary: User
) -> None:
    two_factor_on(primary)
    client.force_login(primary)

    response = client.get(INDEX, follow=True)

    assert response.redirect_chain[-1] == (reverse("dashboard:home"), 302)
    assert "Only MedTrack administrators" in response.content.decode()


def test_staff_see_who_has_it_on_but_never_a_secret(
    client: Client, staff: User, primary: User
) -> None:
    device = two_factor_on(primary)
    codes = two_factor.backup_codes_replace(user=primary, request=None)
    client.force_login(staff)

    pages = [
        reverse("admin:otp_totp_totpdevice_changelist"),
        reverse("admin:otp_totp_totpdevice_change", args=[device.pk]),
        reverse("admin:otp_static_staticdevice_changelist"),
        reverse(
            "admin:otp_static_staticdevice_change",
            args=[StaticDevice.objects.get(user=primary).pk],
        ),
    ]
    for url in pages:
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200, url
        assert device.key not in html
        assert two_factor.secret_base32(device) not in html
        assert not any(code in html for code in codes)
        assert "qrcode" not in html.lower()
    changelist = client.get(pages[0], {"q": "alice"}).content.decode()
    assert "Alice Primary" in changelist
    assert "10" in client.get(pages[2]).content.decode()  # codes left
    assert client.get(reverse("admin:otp_totp_totpdevice_add")).status_code == 403


def test_staff_remove_a_lost_phone_so_the_person_can_set_it_up_again(
    client: Client, staff: User, primary: User
) -> None:
    device = two_factor_on(primary)
    two_factor.backup_codes_replace(user=primary, request=None)
    client.force_login(staff)

    response = client.post(
        reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not two_factor.is_enabled(primary)
    assert not StaticDevice.objects.filter(user=primary).exists()
    with system_context("test"):
        entry = AccessLog.objects.get(action="two_factor_off")
    assert entry.actor == staff
    assert entry.object_id == str(primary.pk)
    assert entry.detail == {"by": "staff"}


def test_removing_several_at_once_turns_each_off(
    client: Client, staff: User, primary: User, secondary: User
) -> None:
    devices = [two_factor_on(primary), two_factor_on(secondary)]
    client.force_login(staff)

    client.post(
        reverse("admin:otp_totp_totpdevice_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [str(d.pk) for d in devices],
            "post": "yes",
        },
    )

    assert not two_factor.is_enabled(primary)
    assert not two_factor.is_enabled(secondary)
    with system_context("test"):
        assert AccessLog.objects.filter(action="two_factor_off").count() == 2


def test_only_a_verified_staff_session_works_in_system_context(
    client: Client, staff: User
) -> None:
    client.force_login(staff, verified=False)
    client.get(INDEX)
    with system_context("test"):
        assert not AccessLog.objects.filter(action="admin").exists()

    client.force_login(staff)
    client.get(INDEX)
    with system_context("test"):
        assert AccessLog.objects.filter(action="admin", actor=staff).count() == 1
