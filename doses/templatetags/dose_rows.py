"""``{% dose_row %}``: one dose as a row with its Taken / Skip / Undo forms.

The dashboard and the Today page show up to 30 of these at once, and the row
is the same markup every time, so it is built here in Python, as the Django
admin builds its change-list rows (``items_for_result``). A Django template of
the same markup cost ~0.45 ms a row on the bench machine, and ``format_html``
(whose lazy-string checks run for every value) about as much, which made the
rows the largest part of both pages (docs/performance.md). Here every value
that is not ours (names, strengths, units, reasons, notices, and translations)
goes through the standard library's ``html.escape``; texts come from
``gettext`` outside the f-strings (``xgettext`` does not read inside them), so
``makemessages`` finds them as before.
"""

from __future__ import annotations

import datetime as dt
import uuid
from html import escape
from zoneinfo import ZoneInfo

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from doses.models import Dose
from doses.selectors import Row
from medtrack.templatetags.medtrack import amount
from patients.models import Patient

register = template.Library()


def _e(value: object) -> str:
    return escape(str(value))


def _clock(value: dt.datetime, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%H:%M")


@register.simple_tag(takes_context=True)
def dose_row(
    context: template.Context,
    row: Row,
    patient: Patient,
    can_record: bool = False,
    back: str = "",
    notice: str = "",
) -> SafeString:
    """The ``<li>`` of ``row.dose``, its times on ``patient``'s clock; the forms
    only for a member who may record (``can_record``). ``back`` is where a form
    returns to without JavaScript ("dashboard", or the Today page)."""
    dose, medication, zone = row.dose, row.dose.medication, patient.zone
    element = f"dose-{dose.pk}"
    due = dose.scheduled_for
    whose = f"<strong>{_e(patient.name)}</strong> · " if back == "dashboard" else ""
    html = [
        f'<li class="dose dose-{row.state}" id="{element}">\n  <div class="dose-main">\n'
        f'    <time datetime="{due.astimezone(zone).isoformat() if due else ""}">'
        f"<strong>{_clock(due, zone) if due else ''}</strong></time>\n"
        f'    <span id="{element}-what">{whose}{_e(medication.name)} {_e(medication.strength)}'
        f" · {_e(amount(dose.amount))} {_e(medication.dose_unit)}</span>\n"
        f'    <mark class="state">{_e(row.label)}</mark>\n',
        _recorded(dose, zone),
        f'    <p class="notice" role="alert">{_e(notice)}</p>\n' if notice else "",
        "  </div>\n",
    ]
    if can_record:
        html.append(_actions(context, row, patient, back))
    html.append("</li>")
    return mark_safe("".join(html))  # noqa: S308 - every value above is escaped


def _recorded(dose: Dose, zone: ZoneInfo) -> str:
    """Who recorded the dose, when it was given, why it was skipped."""
    if not dose.recorded_by:
        return ""
    text = _e(_("by %(who)s") % {"who": dose.recorded_by.name})
    if dose.taken_at:
        text += " " + _e(_("at %(at)s") % {"at": _clock(dose.taken_at, zone)})
    if dose.skip_reason:
        text += " — " + _e(dose.skip_reason)
    return f'    <small class="muted">{text}</small>\n'


#: Stands for the dose in the record URL reversed once per patient and page.
_ANY_DOSE = str(uuid.UUID(int=0))


def _page_memo(context: template.Context, patient: Patient) -> dict[str, str]:
    """What every row of a patient shares on one page, worked out once: the
    record URL around the dose's id (40-odd ``reverse`` calls were a fifth of the
    dashboard's template time) and the buttons' texts in the page's language."""
    memos: dict[uuid.UUID, dict[str, str]] = context.render_context.setdefault(  # type: ignore[assignment]
        "dose_row",
        {},  # type: ignore[arg-type]  # django-stubs types only Django's own keys
    )
    memo = memos.get(patient.pk)
    if memo is None:
        url = reverse("doses:record", kwargs={"patient_id": patient.pk, "dose_id": _ANY_DOSE})
        before, _any, after = url.rpartition(_ANY_DOSE)
        memo = memos[patient.pk] = {
            "before": before,
            "after": after,
            "taken": _e(_("Taken")),
            "skip": _e(_("Skip")),
            "why": _e(_("Why?")),
            "skip_this": _e(_("Skip this dose")),
            "undo": _e(_("Undo")),
        }
    return memo


def _actions(context: template.Context, row: Row, patient: Patient, back: str) -> str:
    """Taken and Skip (with its reason) for a dose still to record, else Undo."""
    element = f"dose-{row.dose.pk}"
    memo = _page_memo(context, patient)
    url = f"{memo['before']}{row.dose.pk}{memo['after']}"
    token = (
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{_e(context.get("csrf_token"))}">'
    )
    back_field = f'<input type="hidden" name="back" value="{_e(back)}">' if back else ""
    described = f'aria-describedby="{element}-what"'

    def form(action: str, body: str) -> str:
        return (
            f'<form method="post" action="{url}" hx-post="{url}" hx-target="#{element}" '
            f'hx-swap="outerHTML">{token}<input type="hidden" name="action" value="{action}">'
            f"{back_field}{body}</form>"
        )

    if row.recordable:
        buttons = (
            form("taken", f'<button type="submit" {described}>{memo["taken"]}</button>')
            + f'<details class="skip"><summary role="button" class="secondary outline" '
            f"{described}>{memo['skip']}</summary>"
            + form(
                "skip",
                f'<label>{memo["why"]} <input type="text" name="reason" maxlength="200" required>'
                f'</label><button type="submit" class="secondary">{memo["skip_this"]}</button>',
            )
            + "</details>"
        )
    else:
        buttons = form(
            "undo",
            f'<button type="submit" class="secondary outline" {described}>{memo["undo"]}</button>',
        )
    return f'  <div class="dose-actions">{buttons}</div>\n'
