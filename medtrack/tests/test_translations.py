"""MedTrack in Spanish (issue 18): the catalogue is complete and up to date, no
user-facing text is left outside the translation machinery, every page and
e-mail a Spanish-speaking caregiver meets is in Spanish, and the language is
the account's choice (or the browser's before signing in)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import polib
import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise

from accounts.models import User, UserSettings
from medtrack.tests import i18n_scan
from medtrack.tests.i18n_scan import ROOT

CATALOGUE = ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]|\{\w*\}")


def spanish() -> polib.POFile:
    return polib.pofile(str(CATALOGUE))


# -- The catalogue -----------------------------------------------------------------------


def test_the_spanish_catalogue_has_no_untranslated_fuzzy_or_obsolete_entries() -> None:
    catalogue = spanish()
    assert len(catalogue) > 1000
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    obsolete = [entry.msgid for entry in catalogue.obsolete_entries()]
    assert not untranslated, f"untranslated in {CATALOGUE.name}: {untranslated}"
    assert not fuzzy, f"fuzzy (check, then drop the flag): {fuzzy}"
    assert not obsolete, f"obsolete (run make messages): {obsolete}"


def test_translations_keep_every_placeholder() -> None:
    """A translation that loses or misspells ``%(name)s`` fails at runtime."""
    wrong = []
    for entry in spanish().translated_entries():
        if entry.msgid_plural:
            pairs = [(entry.msgid_plural, text) for text in entry.msgstr_plural.values()]
        else:
            pairs = [(entry.msgid, entry.msgstr)]
        for original, translated in pairs:
            # The singular may say "una" for %(n)s; it may not add a placeholder.
            if not Counter(PLACEHOLDER.findall(translated)) <= Counter(
                PLACEHOLDER.findall(original)
            ) or (
                not entry.msgid_plural
                and Counter(PLACEHOLDER.findall(translated))
                != Counter(PLACEHOLDER.findall(original))
            ):
                wrong.append(f"{entry.msgid!r} -> {translated!r}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext (.ci/run)")
def test_the_catalogue_holds_every_marked_string(tmp_path: Path) -> None:
    """``make messages`` on a copy of the code finds no string the catalogue lacks
    and none it should drop: a new ``_()`` or ``{% translate %}`` fails here until
    it is extracted and translated."""
    copy = tmp_path / "src"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv", "var", ".git", "node_modules", "static", "*.mo", "__pycache__", "docs"
        ),
    )
    run = subprocess.run(
        [sys.executable, "manage.py", "makemessages", *MAKEMESSAGES_OPTIONS],
        cwd=copy,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "true", "HOME": str(tmp_path)},
    )
    assert run.returncode == 0, run.stderr
    fresh = polib.pofile(str(copy / "locale" / "es" / "LC_MESSAGES" / "django.po"))
    keys = {(entry.msgctxt, entry.msgid) for entry in fresh}
    kept = {(entry.msgctxt, entry.msgid) for entry in spanish()}
    assert not keys - kept, f"not in the catalogue (make messages): {sorted(keys - kept)}"
    assert not kept - keys, f"no longer used (make messages): {sorted(kept - keys)}"


def makemessages_options() -> list[str]:
    """The Makefile's options for ``make messages``, so the test runs the same."""
    line = next(
        line
        for line in (ROOT / "Makefile").read_text().splitlines()
        if line.startswith("MAKEMESSAGES_OPTIONS :=")
    )
    return ["--locale", "es", *(part.replace("'", "") for part in line.split(":=")[1].split())]


MAKEMESSAGES_OPTIONS = makemessages_options()


def test_the_compiled_catalogue_is_current() -> None:
    """``make install`` compiles it; pages use the .mo, so an old one would show
    old text."""
    compiled = CATALOGUE.with_suffix(".mo")
    assert compiled.exists(), "run make install (it compiles the catalogues)"
    assert compiled.stat().st_mtime >= CATALOGUE.stat().st_mtime


# -- Text outside the machinery ----------------------------------------------------------


def test_templates_show_no_text_outside_translation_tags() -> None:
    found = [
        line
        for path in i18n_scan.templates()
        for line in i18n_scan.untranslated_template_text(path)
    ]
    assert not found, "wrap in {% translate %} or {% blocktranslate %}:\n" + "\n".join(found)


def test_python_hands_users_no_untranslated_text() -> None:
    found = [
        line
        for path in i18n_scan.python_modules()
        for line in i18n_scan.untranslated_python_text(path)
    ]
    assert not found, "wrap in gettext / gettext_lazy:\n" + "\n".join(found)


def test_the_scanners_find_what_they_look_for(tmp_path: Path) -> None:
    """The two scans above would catch English if there were some."""
    template = ROOT / "templates" / "_scan_probe.html"
    module = ROOT / "_scan_probe.py"
    try:
        template.write_text(
            '{% load i18n %}<p>{% translate "Fine" %}</p>\n<p title="Hello there">Left out</p>\n'
            "{% blocktranslate %}Also fine{% endblocktranslate %}"
        )
        module.write_text(
            'from django import forms\nfield = forms.CharField(label="Left out")\n'
            'ok = forms.CharField(label=_("Fine"))\n'
        )
        assert [
            line.split(": ", 1)[1] for line in i18n_scan.untranslated_template_text(template)
        ] == [
            'title="Hello there"',
            "Left out",
        ]
        assert i18n_scan.untranslated_python_text(module) == ["_scan_probe.py:2: 'Left out'"]
    finally:
        template.unlink()
        module.unlink()


def test_every_model_and_field_label_the_admin_shows_is_translated() -> None:
    """A field without ``verbose_name`` shows its English name in the admin."""
    from django.contrib import admin

    missing = []
    for model in admin.site._registry:
        source = Path(sys.modules[model.__module__].__file__ or "")
        if ".venv" in source.parts or not source.is_relative_to(ROOT):
            continue  # Django's and the libraries' own models
        for label in ("verbose_name", "verbose_name_plural"):
            if not isinstance(getattr(model._meta, label), Promise):
                missing.append(f"{model.__name__}.Meta.{label}")
        for field in model._meta.get_fields(include_parents=False):
            if field.auto_created or not field.concrete:
                continue
            if field.primary_key and field.name == "id":
                continue
            if not isinstance(field.verbose_name, Promise):
                missing.append(f"{model.__name__}.{field.name}")
    assert not missing, "give these a translated verbose_name:\n" + "\n".join(missing)


# -- Choosing the language ---------------------------------------------------------------


@pytest.mark.django_db
def test_before_signing_in_the_browser_language_is_honoured(client: Client) -> None:
    page = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9,en;q=0.5")
    assert page["Content-Language"] == "es"
    assert '<html lang="es">' in page.content.decode()
    assert "Iniciar sesión" in page.content.decode()
    english = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en-GB")
    assert english["Content-Language"] == "en"


@pytest.mark.django_db
def test_the_footer_switch_changes_the_language_before_signing_in(client: Client) -> None:
    login = reverse("accounts:login")
    client.post(reverse("set_language"), {"language": "es", "next": login})
    assert client.get(login, HTTP_ACCEPT_LANGUAGE="en")["Content-Language"] == "es"


@pytest.mark.django_db
def test_signed_in_the_account_setting_wins_over_the_browser(
    client: Client, primary: User, django_assert_num_queries: Any
) -> None:
    UserSettings.objects.update_or_create(user=primary, defaults={"language": "es"})
    client.force_login(primary)
    page = client.get(reverse("dashboard:home"), HTTP_ACCEPT_LANGUAGE="en")
    assert page["Content-Language"] == "es"
    UserSettings.objects.filter(user=primary).update(language="en")
    page = client.get(reverse("dashboard:home"), HTTP_ACCEPT_LANGUAGE="es")
    assert page["Content-Language"] == "en"


@pytest.mark.django_db
def test_signing_up_in_spanish_keeps_spanish(client: Client) -> None:
    client.post(
        reverse("accounts:signup"),
        {
            "name": "Lucía Pérez",
            "email": "lucia@example.com",
            "password1": "una-clave-muy-larga-2026",
            "password2": "una-clave-muy-larga-2026",
            "timezone": "Europe/Madrid",
        },
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert User.objects.get(email="lucia@example.com").settings.language == "es"


# -- What a Spanish-speaking caregiver reads ---------------------------------------------

#: The test data's own words (names, what the fixtures typed), not the interface's.
DATA_WORDS = {"Alice", "Primary", "Bob", "Secondary", "Vera", "Viewer", "Nora", "Nurse", "Pilar"}
DATA_WORDS |= {"phone", "calendar"}  # "Phone calendar", a calendar address's name
#: Names of things, the same in any language.
PROPER_NAMES = {"Google", "Calendar", "Outlook", "MedTrack"}


@pytest.mark.django_db(transaction=True)
def test_every_page_in_spanish_has_no_english(request: pytest.FixtureRequest) -> None:
    """Every page the accessibility walk visits (with data, empty, and before
    signing in), for a family whose accounts were made in Spanish: no English
    word on any of them."""
    from medtrack.tests.test_accessibility import anonymous, empty, with_data

    with translation.override("es"):
        patient = request.getfixturevalue("patient")
        primary = request.getfixturevalue("primary")
        states = [anonymous(patient, primary), with_data(patient, primary), empty(patient)]
    assert set(UserSettings.objects.values_list("language", flat=True)) == {"es"}
    problems = []
    visited = 0
    for state in states:
        client = Client(HTTP_ACCEPT_LANGUAGE="es")
        if state.email:
            client.force_login(User.objects.get(email=state.email))
        for name in state.pages:
            if name == "caregivers:invitation":
                path: str | None = reverse(name, kwargs={"token": state.params["invitation"]})
            else:
                path = state.url(name)
            assert path is not None, name
            page = client.get(path, follow=True)  # a reset link goes on to its form
            visited += 1
            if page.status_code != 200:
                problems.append(f"{state.name} {name}: answered {page.status_code}")
                continue
            english = i18n_scan.english_on(page.content.decode(), DATA_WORDS | PROPER_NAMES)
            if english:
                problems.append(f"{state.name} {name} {path}:\n    " + "\n    ".join(english))
        missing = client.get("/no-such-page/")
        if english := i18n_scan.english_on(missing.content.decode(), DATA_WORDS | PROPER_NAMES):
            problems.append(f"{state.name} 404: {english}")
    assert visited > 40
    assert not problems, "\n" + "\n".join(problems)


@pytest.mark.django_db(transaction=True)
def test_e_mails_go_out_in_the_recipients_language(
    patient: Any, primary: User, secondary: User
) -> None:
    """A flagged reading tells each member in their own language."""
    from decimal import Decimal

    from conftest import add_reading
    from notifications.services import notify_flagged_readings

    UserSettings.objects.update_or_create(user=secondary, defaults={"language": "es"})
    mail.outbox.clear()
    with translation.override("en"):
        add_reading(primary, patient, "blood_pressure", Decimal(170), Decimal(100))
        notify_flagged_readings(now=timezone.now())
        from conftest import work_tasks

        work_tasks()
    to_secondary = [m for m in mail.outbox if secondary.email in m.to]
    to_primary = [m for m in mail.outbox if primary.email in m.to]
    assert to_secondary
    assert to_primary
    assert not i18n_scan.english_on(
        to_secondary[-1].subject + " " + to_secondary[-1].body, {"MedTrack"}
    )
    assert i18n_scan.english_on(to_primary[-1].body, set())  # English for Alice
