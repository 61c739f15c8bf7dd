"""The rules of two-step sign-in (accounts.two_factor), below the pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import RequestFactory
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from accounts.models import User
from audit.models import AccessLog
from conftest import totp_code, two_factor_on
from medtrack.rls import system_context

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 5, 4, 12, 0, 5, tzinfo=dt.UTC)


@pytest.fixture
def request_(primary: User):
    request = RequestFactory().post("/accounts/settings/two-step/")
    request.user = primary
    return request


def enrolled(user: User, request) -> list[str]:
    device = two_factor.enrolment_device(user=user)
    result, codes = two_factor.enrolment_confirm(
        user=user, device=device, code=totp_code(device), request=request
    )
    assert result.ok
    return codes


def test_an_unconfirmed_device_does_not_turn_it_on(primary: User) -> None:
    device = two_factor.enrolment_device(user=primary)

    assert not device.confirmed
    assert not two_factor.is_enabled(primary)
    assert two_factor.status(primary) == two_factor.Status(enabled=False)
    # A code from it does not log in either: only the set-up page may check it.
    assert not two_factor.verify(user=primary, code=totp_code(device)).ok


def test_the_set_up_key_stays_while_setting_up_and_is_new_after_half_an_hour(
    primary: User, time_machine
) -> None:
    time_machine.move_to(NOON, tick=False)
    first = two_factor.enrolment_device(user=primary)
    time_machine.move_to(NOON + dt.timedelta(minutes=29), tick=False)
    assert two_factor.enrolment_device(user=primary) == first

    time_machine.move_to(NOON + dt.timedelta(minutes=31), tick=False)
    fresh = two_factor.enrolment_device(user=primary)

    assert fresh.pk != first.pk
    assert fresh.key != first.key
    assert list(TOTPDevice.objects.filter(user=primary)) == [fresh]


def test_a_code_computed_from_the_key_turns_it_on_with_ten_backup_codes(
    primary: User, request_, time_machine
) -> None:
    time_machine.move_to(NOON, tick=False)
    device = two_factor.enrolment_device(user=primary)
    code = f"{totp(device.bin_key, step=30, t0=0, digits=6):06d}"

    result, codes = two_factor.enrolment_confirm(
        user=primary, device=device, code=code, request=request_
    )

    assert result.ok
    assert two_factor.app_device(primary) == device
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert all(len(code) == 11 and code[5] == "-" for code in codes)
    assert two_factor.status(primary).backup_codes_left == 10
    with system_context("test"):
        (entry,) = AccessLog.objects.filter(action="two_factor_on")
    assert entry.actor == primary


def test_a_code_from_another_time_step_does_not_confirm(primary: User, request_) -> None:
    device = two_factor.enrolment_device(user=primary)
    stale = f"{totp(device.bin_key, drift=-5):06d}"

    result, codes = two_factor.enrolment_confirm(
        user=primary, device=device, code=stale, request=request_
    )

    assert result.outcome is two_factor.Outcome.WRONG
    assert codes == []
    assert not two_factor.is_enabled(primary)


def test_the_key_is_offered_as_a_qr_code_and_as_text(primary: User) -> None:
    device = two_factor.enrolment_device(user=primary)

    uri = two_factor.provisioning_uri(device)
    svg = two_factor.qr_svg(device, "QR code")
    typed = two_factor.secret_for_typing(device)

    assert uri.startswith("otpauth://totp/MedTrack%3Aalice%40example.com?secret=")
    assert "issuer=MedTrack" in uri
    assert "digits=6" in uri
    assert "period=30" in uri
    assert svg.startswith("<svg")
    assert "<title>QR code</title>" in svg
    assert "style=" not in svg
    assert "data:" not in svg
    assert typed.replace(" ", "") == two_factor.secret_base32(device)
    assert len(typed.split(" ")[0]) == 4


def test_backup_codes_are_stored_as_keyed_hashes_only(primary: User, request_) -> None:
    codes = enrolled(primary, request_)

    stored = set(StaticToken.objects.filter(device__user=primary).values_list("token", flat=True))

    plain = {two_factor.normalize(code) for code in codes}
    assert stored == {two_factor.backup_code_hash(code) for code in plain}
    assert not stored & plain
    assert all(len(token) == 16 for token in stored)


def test_a_backup_code_works_once(primary: User, request_) -> None:
    code = two_factor.normalize(enrolled(primary, request_)[3])

    first = two_factor.verify(user=primary, code=code)
    again = two_factor.verify(user=primary, code=code)

    assert first.ok
    assert first.method == "backup"
    assert isinstance(first.device, StaticDevice)
    assert again.outcome is two_factor.Outcome.WRONG
    assert two_factor.backup_codes_left(primary) == 9


def test_an_app_code_is_not_accepted_twice(primary: User, time_machine) -> None:
    time_machine.move_to(NOON, tick=False)
    device = two_factor_on(primary)
    code = totp_code(device)

    assert two_factor.verify(user=primary, code=code).ok
    assert not two_factor.verify(user=primary, code=code).ok  # replayed


def test_wrong_codes_make_the_next_try_wait_longer_each_time(primary: User, time_machine) -> None:
    time_machine.move_to(NOON, tick=False)
    device = two_factor_on(primary)

    assert two_factor.verify(user=primary, code="000000").outcome is two_factor.Outcome.WRONG
    time_machine.move_to(NOON + dt.timedelta(seconds=1.5), tick=False)
    assert two_factor.verify(user=primary, code="000000").outcome is two_factor.Outcome.WRONG
    # Two failures: the next try must wait 2 seconds, even with the right code.
    held = two_factor.verify(user=primary, code=totp_code(device))
    assert held.outcome is two_factor.Outcome.THROTTLED
    assert held.wait_seconds == 2

    time_machine.move_to(NOON + dt.timedelta(seconds=4), tick=False)
    assert two_factor.verify(user=primary, code=totp_code(device)).ok
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_codes_are_told_apart_by_their_shape() -> None:
    assert two_factor.kind_of(two_factor.normalize(" 123 456 ")) == "app"
    assert two_factor.kind_of(two_factor.normalize("ABCDE-FGHJK")) == "backup"
    assert two_factor.kind_of("12345") is None
    assert two_factor.kind_of("abcde-fghjk") is None  # not normalized
    assert two_factor.kind_of("abcdefghi0") is None  # 0 is not in the alphabet


def test_turning_it_off_removes_the_app_and_the_codes_and_is_logged(
    primary: User, request_
) -> None:
    enrolled(primary, request_)

    assert two_factor.two_factor_disable(user=primary, request=request_, actor=primary)

    assert not TOTPDevice.objects.filter(user=primary).exists()
    assert not StaticDevice.objects.filter(user=primary).exists()
    assert not two_factor.two_factor_disable(user=primary, request=request_, actor=primary)
    with system_context("test"):
        (entry,) = AccessLog.objects.filter(action="two_factor_off")
    assert entry.detail == {"by": "self"}
