"""``{% dose_row %}``: the dose row of the dashboard, the Today page and the
htmx swap, built in Python (doses/templatetags/dose_rows.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from html.parser import HTMLParser

from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from doses.models import Dose, DoseStatus
from doses.selectors import Row, state_of
from medications.models import Medication
from patients.models import Patient

NOW = dt.datetime(2026, 11, 25, 7, 5, tzinfo=dt.UTC)  # 08:05 in Madrid
ROW = Template("{% load dose_rows %}{% dose_row row patient can_record back notice %}")
HOSTILE = '<script>alert("x")</script>'


class Elements(HTMLParser):
    """The start tags in order, and whether every element that opens closes."""

    VOID = {"input", "br", "img", "meta", "link"}

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open.pop() == tag, f"</{tag}> closes another element"


def parse(html: str) -> Elements:
    elements = Elements()
    elements.feed(html)
    assert elements.open == [], f"left open: {elements.open}"
    return elements


def a_dose(status: str = DoseStatus.PENDING, **fields: object) -> tuple[Row, Patient]:
    patient = Patient(id=uuid.uuid4(), name="Rosa Díaz", timezone="Europe/Madrid")
    medication = Medication(
        id=uuid.uuid4(), patient=patient, name="Metformin", strength="500 mg", dose_unit="tablet"
    )
    dose = Dose(
        id=uuid.uuid4(),
        patient=patient,
        medication=medication,
        scheduled_for=dt.datetime(2026, 11, 25, 7, 0, tzinfo=dt.UTC),
        status=status,
        amount=Decimal("1.500"),
        **fields,
    )
    return Row(dose, state_of(dose, NOW)), patient


def render(row: Row, patient: Patient, **context: object) -> str:
    values = {"csrf_token": "TOKEN", "can_record": True, "back": "", "notice": ""}
    return ROW.render(Context({"row": row, "patient": patient, **values, **context}))


def test_a_dose_due_now_offers_taken_and_skip_on_the_patients_clock() -> None:
    row, patient = a_dose()
    html = render(row, patient)
    element = f"dose-{row.dose.pk}"
    url = reverse("doses:record", kwargs={"patient_id": patient.pk, "dose_id": row.dose.pk})

    tags = parse(html).tags
    assert tags[0] == ("li", {"class": "dose dose-due", "id": element})
    assert ("time", {"datetime": "2026-11-25T08:00:00+01:00"}) in tags
    assert "<strong>08:00</strong>" in html
    assert "Metformin 500 mg · 1.5 tablet" in html
    assert '<mark class="state">Due now</mark>' in html
    forms = [attrs for tag, attrs in tags if tag == "form"]
    assert forms == [
        {"method": "post", "action": url, "hx-post": url, "hx-target": f"#{element}",
         "hx-swap": "outerHTML"}
    ] * 2  # fmt: skip
    inputs = [attrs for tag, attrs in tags if tag == "input"]
    assert {"type": "hidden", "name": "csrfmiddlewaretoken", "value": "TOKEN"} in inputs
    assert [i["value"] for i in inputs if i.get("name") == "action"] == ["taken", "skip"]
    assert not [i for i in inputs if i.get("name") == "back"]  # the Today page is the default
    reason = next(i for i in inputs if i.get("name") == "reason")
    assert reason == {"type": "text", "name": "reason", "maxlength": "200", "required": None}
    described = [attrs for tag, attrs in tags if attrs.get("aria-describedby")]
    assert {attrs["aria-describedby"] for attrs in described} == {f"{element}-what"}
    assert ("span", {"id": f"{element}-what"}) in tags


def test_on_the_dashboard_it_names_the_patient_and_returns_there() -> None:
    row, patient = a_dose()
    html = render(row, patient, back="dashboard")
    inputs = [attrs for tag, attrs in parse(html).tags if tag == "input"]
    assert [i["value"] for i in inputs if i.get("name") == "back"] == ["dashboard"] * 2
    assert "<strong>Rosa Díaz</strong> · Metformin" in html


def test_a_given_dose_says_who_gave_it_and_when_and_offers_undo() -> None:
    ana = User(name="Ana García")
    row, patient = a_dose(
        DoseStatus.TAKEN, recorded_by=ana, taken_at=dt.datetime(2026, 11, 25, 7, 40, tzinfo=dt.UTC)
    )
    html = render(row, patient)
    assert '<small class="muted">by Ana García at 08:40</small>' in html
    inputs = [attrs for tag, attrs in parse(html).tags if tag == "input"]
    assert [i["value"] for i in inputs if i.get("name") == "action"] == ["undo"]
    assert ">Undo</button>" in html
    assert "Skip" not in html


def test_a_skipped_dose_gives_the_reason() -> None:
    row, patient = a_dose(DoseStatus.SKIPPED, recorded_by=User(name="Ana"), skip_reason="Asleep")
    assert '<small class="muted">by Ana — Asleep</small>' in render(row, patient)


def test_a_member_who_may_not_record_gets_no_forms() -> None:
    row, patient = a_dose()
    html = render(row, patient, can_record=False)
    assert "<form" not in html
    assert "TOKEN" not in html
    parse(html)


def test_everything_that_is_not_ours_is_escaped() -> None:
    row, patient = a_dose(DoseStatus.SKIPPED, recorded_by=User(name=HOSTILE), skip_reason=HOSTILE)
    patient.name = row.dose.medication.name = HOSTILE
    row.dose.medication.strength = row.dose.medication.dose_unit = HOSTILE
    html = render(row, patient, back="dashboard", notice=HOSTILE, csrf_token='"><b>')
    assert "<script" not in html
    assert "<b>" not in html
    assert html.count("&lt;script&gt;") == 7  # patient, name, strength, unit, who, reason, notice
    parse(html)


def test_in_spanish() -> None:
    row, patient = a_dose(
        DoseStatus.TAKEN,
        recorded_by=User(name="Ana García"),
        taken_at=dt.datetime(2026, 11, 25, 8, 40, tzinfo=dt.UTC),
    )
    with translation.override("es"):
        html = render(row, patient)
        due = render(*a_dose())
    assert "por Ana García a las 09:40" in html
    assert "Tomada con retraso" in html  # 1 h 40 after 08:00
    assert ">Deshacer</button>" in html
    assert "1,5 tablet" in due  # the decimal comma
    assert ">Tomada</button>" in due
    assert "¿Por qué?" in due
    assert ">Omitir esta dosis</button>" in due
