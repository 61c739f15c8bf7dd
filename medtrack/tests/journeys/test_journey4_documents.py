"""Journey 4: Ana uploads Rosa's discharge letter (a PDF) and a photo, and shares
the letter with the visiting nurse, who sees that file and nothing else."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import Page, expect

from conftest import png_bytes
from files.models import File
from medtrack.rls import system_context
from medtrack.tests.journeys.steps import (
    NEXT_MORNING,
    add_patient,
    open_section,
    patient_id,
    shot,
    sign_up,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def letter_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_discharge_letter_and_a_photo_the_letter_shared_with_the_nurse(
    live_server, page: Page, new_context, time_machine, screen: str
) -> None:
    time_machine.move_to(NEXT_MORNING)
    base = live_server.url
    nora = new_context().new_page()  # the visiting nurse has her own account
    sign_up(nora, base, "Nora Nurse", "nora@example.com")
    sign_up(page, base, "Ana García", "ana@example.com")
    patient_url = add_patient(page)

    open_section(page, patient_url, "Documents and photos")
    page.get_by_role("button", name="Add the first file").click()
    page.get_by_label("Files", exact=True).set_input_files(
        files=[
            {
                "name": "Discharge letter.pdf",
                "mimeType": "application/pdf",
                "buffer": letter_pdf(),
            },
            {"name": "Wound.png", "mimeType": "image/png", "buffer": png_bytes((300, 200))},
        ]
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("status").first).to_contain_text("2 files kept.")
    files = page.get_by_role("list").filter(has=page.get_by_role("link", name="Wound"))
    expect(files.get_by_role("listitem")).to_have_count(2)
    shot(page, "journey4-documents", screen)
    photo_url = base + files.get_by_role("link", name="Wound").get_attribute("href")

    page.get_by_role("link", name="Discharge letter").click()
    expect(page.get_by_role("heading", name="Discharge letter", level=1)).to_be_visible()
    page.get_by_label("Their e-mail").fill("nora@example.com")
    page.get_by_label("How long").select_option(label="For a week")
    page.get_by_role("button", name="Share", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("Shared with nora@example.com")
    expect(page.get_by_role("button", name="Stop sharing with Nora Nurse")).to_be_visible()

    nora.get_by_label("Account menu").click()
    nora.get_by_role("link", name="Shared with me").click()
    shared = nora.get_by_role("main").get_by_role("link", name="Discharge letter")
    expect(shared).to_be_visible()
    expect(nora.get_by_role("main").get_by_role("link", name="Wound")).to_have_count(0)
    shared.click()
    expect(nora.get_by_role("heading", name="Discharge letter", level=1)).to_be_visible()
    shot(nora, "journey4-nurse-sees-the-letter", screen)

    # Nothing else of Rosa's: not her page, not her files, not the photo's address.
    photo_id = photo_url.rstrip("/").rsplit("/", 1)[-1]
    for url in (
        patient_url,
        f"{patient_url}files/",
        photo_url,
        f"{photo_url}view/",
        f"{base}/files/shared/{photo_id}/",
    ):
        response = nora.goto(url)
        assert response.status == 404, url

    with system_context("test: the journey's outcome"):
        kept = File.objects.filter(patient_id=patient_id(patient_url))
        assert sorted((f.file_name, f.kind) for f in kept) == [
            ("Discharge letter", "pdf"),
            ("Wound", "photo"),
        ]
        (letter,) = kept.filter(file_name="Discharge letter")
        assert [share.shared_with.email for share in letter.shares.all()] == ["nora@example.com"]
