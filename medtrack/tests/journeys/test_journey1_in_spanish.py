"""Journey 1 in Spanish (issue 18): a browser that asks for Spanish gets MedTrack
in Spanish from the first page; Ana signs up, adds her mother and her four
medications, and sees Today, and no page on the way has a word of English."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from conftest import PASSWORD
from medtrack.tests.i18n_scan import english_on
from medtrack.tests.journeys.steps import FIRST_EVENING, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: What Ana types (names, medicines) and names of things, the same in any language.
ALLOWED = {"MedTrack", "Ana", "García", "Rosa", "Lucía", "Metformina", "Lisinopril"}


@pytest.fixture
def screen() -> str:
    return "phone"


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "locale": "es-ES"}


class Pages:
    """Each page visited, checked for English once it has loaded."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.english: dict[str, list[str]] = {}
        self.seen = 0

    def check(self) -> None:
        self.page.wait_for_load_state()
        self.seen += 1
        where = re.sub(r"[0-9a-f-]{36}", "…", self.page.url.split("//", 1)[1].split("/", 1)[1])
        found = english_on(self.page.content(), ALLOWED)
        if found:
            self.english[f"/{where}"] = found


def new_medication(page: Page, pages: Pages, patient_url: str, name: str, strength: str) -> None:
    page.goto(patient_url)
    page.get_by_role("link", name="Medicamentos").first.click()
    pages.check()
    page.get_by_role("button", name="Añadir un medicamento").click()
    pages.check()
    page.get_by_label("Nombre", exact=True).fill(name)
    page.get_by_label("Concentración").fill(strength)
    page.get_by_label("Dosis", exact=True).fill("1")


def test_journey_one_in_spanish_has_no_english_on_any_page(
    live_server, page: Page, time_machine, screen: str
) -> None:
    time_machine.move_to(FIRST_EVENING)  # domingo, 19:40 en Madrid
    pages = Pages(page)
    base = live_server.url

    # The first visit, in the browser's language.
    page.goto(f"{base}/")
    expect(page.get_by_role("heading", name="Iniciar sesión")).to_be_visible()
    pages.check()
    page.get_by_role("link", name="Crear una cuenta").click()
    expect(page.get_by_role("heading", name="Crea tu cuenta")).to_be_visible()
    pages.check()
    page.get_by_label("Tu nombre").fill("Ana García")
    page.get_by_label("Correo electrónico").fill("ana@example.com")
    page.get_by_label("Contraseña", exact=True).fill(PASSWORD)
    page.get_by_label("Contraseña (confirmación)").fill(PASSWORD)
    page.get_by_role("button", name="Crear cuenta").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Te damos la bienvenida a MedTrack, Ana García."
    )
    expect(page.get_by_role("heading", name="Empecemos")).to_be_visible()
    pages.check()
    assert User.objects.get(email="ana@example.com").settings.language == "es"

    # Her mother, with her allergies, conditions and emergency contact.
    page.get_by_role("button", name="Añadir un paciente").click()
    pages.check()
    page.get_by_label("Nombre completo").fill("Rosa García")
    page.get_by_label("Fecha de nacimiento").fill("1944-05-17")
    page.get_by_label("Mujer").check()
    page.get_by_role("textbox", name="Alergia 1", exact=True).fill("Penicilina")
    page.get_by_role("textbox", name="Enfermedad 1", exact=True).fill("Diabetes tipo 2")
    page.get_by_label("Contacto de emergencia: nombre").fill("Lucía García")
    page.get_by_label("Contacto de emergencia: teléfono").fill("+34 612 345 678")
    page.get_by_label("Contacto de emergencia: parentesco").fill("Hija")
    page.get_by_label("Zona horaria donde vive").select_option("Europe/Madrid")
    page.get_by_role("button", name="Añadir paciente").click()
    expect(page.get_by_role("heading", name="Rosa García", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Eres su cuidador principal")
    pages.check()
    patient_url = re.sub(r"[?#].*$", "", page.url)

    # Twice a day.
    new_medication(page, pages, patient_url, "Metformina", "500 mg")
    page.get_by_role("button", name="Guardar y elegir cuándo").click()
    expect(page.get_by_role("heading", name="¿Cuándo se toma Metformina?")).to_be_visible()
    pages.check()
    page.get_by_label("Todos los días").check()
    page.get_by_role("textbox", name="Hora 1", exact=True).fill("08:00")
    page.get_by_role("button", name="+ Añadir otro").click()
    page.get_by_role("textbox", name="Hora 2", exact=True).fill("20:00")
    page.get_by_role("button", name="Guardar pauta").click()
    expect(page.get_by_role("status")).to_contain_text("Pauta guardada")
    pages.check()

    # On weekdays: the schedule reads as a Spanish speaker says it.
    new_medication(page, pages, patient_url, "Lisinopril", "10 mg")
    page.get_by_role("button", name="Guardar y elegir cuándo").click()
    page.get_by_label("Algunos días de la semana").check()
    for day in ("Lunes", "Miércoles", "Viernes"):
        page.get_by_label(day).check()
    page.get_by_role("textbox", name="Hora 1", exact=True).fill("08:00")
    page.get_by_role("button", name="Guardar pauta").click()
    expect(page.get_by_role("status")).to_contain_text("Pauta guardada")
    expect(page.get_by_text("lunes, miércoles y viernes a las 08:00")).to_be_visible()
    pages.check()

    # As needed, at most once a day.
    new_medication(page, pages, patient_url, "Paracetamol", "500 mg")
    page.get_by_label("Si es necesario").check()
    page.get_by_label("Como máximo, cada 24 horas").fill("1")
    page.get_by_role("button", name="Guardar y elegir cuándo").click()
    expect(page.get_by_role("status")).to_contain_text("Paracetamol")
    pages.check()

    # A taper from tomorrow.
    new_medication(page, pages, patient_url, "Prednisona", "5 mg")
    page.get_by_role("button", name="Guardar y elegir cuándo").click()
    page.get_by_role("link", name="Introduce una pauta descendente").click()
    pages.check()
    monday = FIRST_EVENING.date() + dt.timedelta(days=1)
    page.get_by_label("Primer día").fill(monday.isoformat())
    page.get_by_role("textbox", name="Hora 1", exact=True).fill("08:00")
    for step, (amount, days) in enumerate([("2", "3"), ("1", "3")], start=1):
        page.get_by_label(f"Paso {step}: dosis").fill(amount)
        page.get_by_label(f"Paso {step}: durante cuántos días").fill(days)
    page.get_by_role("button", name="Ver el plan").click()
    expect(page.get_by_role("region", name="El plan").get_by_role("listitem")).to_have_count(2)
    pages.check()
    page.get_by_role("button", name="Guardar pauta descendente").click()
    expect(page.get_by_role("status")).to_contain_text("Pauta descendente guardada")
    pages.check()
    page.get_by_role("navigation", name="ruta de navegación").get_by_role(
        "link", name="Medicamentos"
    ).click()
    taking = page.get_by_role("region", name="Actuales")
    for name in ("Metformina", "Lisinopril", "Paracetamol", "Prednisona"):
        expect(taking).to_contain_text(name)
    pages.check()
    shot(page, "journey1-es-medications", screen)

    # Today: the 20:00 Metformina is due in twenty minutes.
    page.get_by_role("link", name="Hoy", exact=True).click()
    due = page.get_by_role("region", name="Toca ahora")
    expect(due).to_contain_text("20:00")
    expect(due).to_contain_text("Rosa García · Metformina 500 mg")
    pages.check()
    shot(page, "journey1-es-today", screen)
    page.goto(patient_url)
    page.get_by_role("link", name="Dosis de hoy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dosis del domingo 13 de diciembre")
    pages.check()

    assert pages.seen >= 20
    assert not pages.english, "English on pages in Spanish:\n" + "\n".join(
        f"{where}:\n    " + "\n    ".join(words) for where, words in pages.english.items()
    )
