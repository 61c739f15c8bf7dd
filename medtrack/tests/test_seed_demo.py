from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from doses.models import Dose
from medications.models import Medication
from medtrack.rls import acting_as
from patients.models import Patient

pytestmark = pytest.mark.django_db


def test_it_creates_the_documented_demo_login_once(settings) -> None:
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)

    demo = User.objects.get(email="demo@example.com")
    assert demo.check_password("medtrack-demo")
    assert User.objects.count() == 2
    with acting_as(demo.pk):
        assert [p.name for p in Patient.objects.all()] == ["Rosa García"]
        names = set(Medication.objects.values_list("name", flat=True))
        assert names == {"Metformin", "Alendronate", "Amoxicillin", "Paracetamol", "Prednisone"}
        assert Dose.objects.filter(medication__name="Prednisone").exists()
        assert not Dose.objects.filter(medication__name="Paracetamol").exists()


def test_it_never_runs_in_production(settings) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not User.objects.exists()


def test_dry_run_creates_nothing(settings) -> None:
    settings.DEBUG = True
    call_command("seed_demo", dry_run=True, verbosity=0)
    assert not User.objects.exists()
