"""Profile pictures: stored privately, shown to the people one cares with only."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from accounts.models import User
from files.tests.test_uploads import jpeg_with_exif
from patients.models import Patient

pytestmark = pytest.mark.django_db


def upload_picture(client: Client, user: User, content: bytes, name: str = "me.jpg") -> str:
    client.force_login(user)
    response = client.post(
        reverse("accounts:avatar_upload"),
        {"picture": SimpleUploadedFile(name, content)},
        follow=True,
    )
    return response.content.decode()


def test_a_picture_is_square_upright_and_without_location(
    client: Client, patient: Patient, secondary: User
) -> None:
    page = upload_picture(client, secondary, jpeg_with_exif(gps=True, orientation=6))
    assert "Your picture was saved." in page
    secondary.refresh_from_db()
    assert secondary.avatar_url.startswith(reverse("accounts:avatar", args=[secondary.pk]) + "?v=")
    assert f'src="{secondary.avatar_url}"' in page  # shown in the page's header
    with default_storage.open(f"avatars/{secondary.pk}.webp", "rb") as handle:
        picture = Image.open(io.BytesIO(handle.read()))
    assert (picture.format, picture.size) == ("WEBP", (256, 256))
    assert not picture.getexif()  # no location, no camera details


def test_only_the_people_one_cares_with_see_it(
    client: Client, patient: Patient, primary: User, secondary: User, stranger: User
) -> None:
    upload_picture(client, secondary, jpeg_with_exif())
    secondary.refresh_from_db()
    address = reverse("accounts:avatar", args=[secondary.pk])
    for user, status in [(secondary, 200), (primary, 200), (stranger, 404)]:
        client.force_login(user)
        response = client.get(address)
        assert response.status_code == status, user.email
    client.force_login(primary)
    response = client.get(address)
    assert response["Content-Type"] == "image/webp"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert (
        f'src="{secondary.avatar_url}"'
        in client.get(reverse("caregivers:team", args=[patient.pk])).content.decode()
    )
    client.logout()
    assert client.get(address).status_code == 302  # to the login page


def test_not_a_picture_is_refused_and_a_picture_can_be_removed(
    client: Client, secondary: User
) -> None:
    page = upload_picture(client, secondary, b"%PDF-1.4 not a photo", "me.pdf")
    assert "Choose a photo" in page or "could not be read" in page
    secondary.refresh_from_db()
    assert secondary.avatar_url is None
    upload_picture(client, secondary, jpeg_with_exif())
    client.post(reverse("accounts:avatar_remove"))
    secondary.refresh_from_db()
    assert secondary.avatar_url is None
    assert not default_storage.exists(f"avatars/{secondary.pk}.webp")
