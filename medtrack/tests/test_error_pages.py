from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import Client

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_unknown_pages_get_a_helpful_404_in_the_site_style(client: Client, primary: User) -> None:
    client.force_login(primary)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    content = response.content.decode()
    assert "Page not found" in content
    assert "ask them to invite you" in content
    assert "pico.min.css" in content


@pytest.mark.parametrize(
    "template", ["400.html", "403.html", "403_csrf.html", "429.html", "500.html"]
)
def test_error_pages_render_without_a_request(template: str) -> None:
    # Django renders 500.html with an empty context: nothing may depend on the request.
    content = render_to_string(template)
    assert "Go to your start page" in content
