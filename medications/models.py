"""Medications and their schedules (DESIGN.md §B.3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pghistory
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from medications import recurrence
from medtrack import fields
from medtrack.forms import sane_date


class Form(models.TextChoices):
    TABLET = "tablet", _("Tablet")
    CAPSULE = "capsule", _("Capsule")
    LIQUID = "liquid", _("Liquid")
    INJECTION = "injection", _("Injection")
    INHALER = "inhaler", _("Inhaler")
    PATCH = "patch", _("Patch")
    DROPS = "drops", _("Drops")
    CREAM = "cream", _("Cream")
    SPRAY = "spray", _("Spray")
    OTHER = "other", _("Other")


class Status(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    DISCONTINUED = "discontinued", _("Discontinued")


class Frequency(models.TextChoices):
    DAILY = recurrence.DAILY, _("Every day")
    WEEKLY = recurrence.WEEKLY, _("On chosen weekdays")
    EVERY_N_DAYS = recurrence.EVERY_N_DAYS, _("Every few days")
    EVERY_N_HOURS = recurrence.EVERY_N_HOURS, _("Every few hours")


POSITIVE = [MinValueValidator(Decimal("0.001"))]


@pghistory.track(meta=fields.history_indexes("medication"))
class Medication(models.Model):
    """A medicine a patient takes, on schedules (``MedicationSchedule``) or as needed.

    Pausing or discontinuing removes its future pending doses; the doses that
    happened stay. ``quantity_on_hand`` goes down as doses are recorded.
    """

    id = fields.uuid_pk()
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.DB_CASCADE,
        related_name="medications",
        verbose_name=_("patient"),
    )
    name = models.TextField(_("name"))
    generic_name = models.TextField(_("generic name"), blank=True, default="")
    strength = models.TextField(_("strength"), blank=True, default="", help_text=_("e.g. 500 mg"))
    form = models.TextField(_("form"), choices=Form.choices, default=Form.TABLET)
    dose_amount = models.DecimalField(
        _("dose"), max_digits=10, decimal_places=3, validators=POSITIVE
    )
    dose_unit = models.TextField(_("unit"), help_text=_("e.g. tablet, mL, puff, unit"))
    route = models.TextField(_("route"), blank=True, default="", help_text=_("e.g. by mouth"))
    instructions = models.TextField(
        _("instructions"), blank=True, default="", help_text=_("e.g. with food")
    )
    reason = models.TextField(_("what it is for"), blank=True, default="")
    prescriber = models.TextField(_("prescriber"), blank=True, default="")
    pharmacy = models.TextField(_("pharmacy"), blank=True, default="")
    rx_number = models.TextField(_("Rx number"), blank=True, default="")
    rxnorm_code = models.TextField(_("RxNorm code"), blank=True, default="")
    appearance = models.TextField(
        _("what it looks like"),
        blank=True,
        default="",
        help_text=_("e.g. small white round tablet"),
    )
    is_prn = fields.BooleanField(_("as needed"), default=False, db_default=False)
    prn_max_per_day = models.PositiveSmallIntegerField(
        _("at most, per 24 hours"), null=True, blank=True
    )
    prn_min_interval_hours = models.DecimalField(
        _("at least this many hours apart"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    status = fields.TextField(
        _("status"), choices=Status.choices, default=Status.ACTIVE, db_default="active"
    )
    status_changed_on = models.DateField(_("status changed on"), null=True, blank=True)
    status_reason = models.TextField(_("reason for the change"), blank=True, default="")
    quantity_on_hand = models.DecimalField(
        _("in stock"), max_digits=10, decimal_places=3, null=True, blank=True
    )
    refill_threshold = models.DecimalField(
        _("refill when stock reaches"), max_digits=10, decimal_places=3, null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        related_name="+",
        verbose_name=_("added by"),
    )
    created_at = fields.created_at(verbose_name=_("created"))
    updated_at = fields.updated_at(verbose_name=_("updated"))

    class Meta:
        db_table = "medications"
        verbose_name = _("medication")
        verbose_name_plural = _("medications")
        ordering = ["name"]
        indexes = [models.Index(fields=["patient", "status"], name="medications_patient_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(form__in=Form.values), name="medications_form_check"
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="medications_status_check"
            ),
            models.CheckConstraint(
                condition=Q(dose_amount__gt=0), name="medications_dose_amount_check"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="medications_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(prn_max_per_day__isnull=True) | Q(prn_max_per_day__gte=1),
                name="medications_prn_max_check",
            ),
            models.CheckConstraint(
                condition=Q(prn_min_interval_hours__isnull=True) | Q(prn_min_interval_hours__gt=0),
                name="medications_prn_interval_check",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.strength}".strip()

    def clean(self) -> None:
        problems = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            problems["end_date"] = _("The end date is before the start date.")
        if self.is_prn and not self.prn_max_per_day:
            problems["prn_max_per_day"] = _("Say how many doses at most in 24 hours, for safety.")
        for name in ("start_date", "end_date"):
            if not sane_date(getattr(self, name)):
                problems[name] = _("Please check the year.")
        if problems:
            raise ValidationError(problems)

    @property
    def is_low(self) -> bool:
        return (
            self.quantity_on_hand is not None
            and self.refill_threshold is not None
            and self.quantity_on_hand <= self.refill_threshold
        )


class ScheduleQuerySet(models.QuerySet["MedicationSchedule"]):
    def covering(self, day: dt.date) -> ScheduleQuerySet:
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gte=day))


# ``generated_until`` is the generator's bookkeeping, not a change anyone made.
@pghistory.track(exclude=["generated_until"], meta=fields.history_indexes("schedule"))
class MedicationSchedule(models.Model):
    """When a medication is taken: a recurrence (``medications.recurrence``) over a
    date range, with its own dose amount when it differs (a taper is several
    schedules, one per step)."""

    id = fields.uuid_pk()
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.DB_CASCADE,
        related_name="+",
        verbose_name=_("patient"),
    )
    medication = models.ForeignKey(
        Medication,
        on_delete=models.DB_CASCADE,
        related_name="schedules",
        verbose_name=_("medication"),
    )
    frequency = models.TextField(_("how often"), choices=Frequency.choices)
    times_of_day = fields.ArrayField(models.TimeField(), verbose_name=_("times"))
    days_of_week = fields.ArrayField(
        models.SmallIntegerField(), default=list, blank=True, verbose_name=_("weekdays")
    )
    interval = models.SmallIntegerField(_("every"), null=True, blank=True)
    dose_amount = models.DecimalField(
        _("dose"), max_digits=10, decimal_places=3, null=True, blank=True, validators=POSITIVE
    )
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"), null=True, blank=True)
    #: Doses exist up to here; the generator starts from it next time.
    generated_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = fields.created_at(verbose_name=_("created"))
    updated_at = fields.updated_at(verbose_name=_("updated"))

    objects = ScheduleQuerySet.as_manager()

    class Meta:
        db_table = "medication_schedules"
        verbose_name = _("schedule")
        verbose_name_plural = _("schedules")
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(frequency__in=Frequency.values),
                name="medication_schedules_frequency_check",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="medication_schedules_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(dose_amount__isnull=True) | Q(dose_amount__gt=0),
                name="medication_schedules_dose_amount_check",
            ),
            # Each frequency has the fields it needs, within sane limits.
            models.CheckConstraint(
                condition=Q(
                    Q(frequency=recurrence.EVERY_N_HOURS)
                    | Q(
                        times_of_day__len__gte=1,
                        times_of_day__len__lte=recurrence.MAX_DOSES_PER_DAY,
                    )
                ),
                name="medication_schedules_times_check",
            ),
            models.CheckConstraint(
                condition=~Q(frequency=recurrence.WEEKLY)
                | Q(days_of_week__len__gte=1, days_of_week__contained_by=[1, 2, 3, 4, 5, 6, 7]),
                name="medication_schedules_weekdays_check",
            ),
            models.CheckConstraint(
                condition=~Q(frequency=recurrence.EVERY_N_DAYS)
                | Q(interval__isnull=False, interval__gte=1, interval__lte=365),
                name="medication_schedules_every_n_days_check",
            ),
            models.CheckConstraint(
                condition=~Q(frequency=recurrence.EVERY_N_HOURS)
                | Q(
                    interval__isnull=False,
                    interval__gte=24 // recurrence.MAX_DOSES_PER_DAY,
                    interval__lte=168,
                    times_of_day__len=1,
                ),
                name="medication_schedules_every_n_hours_check",
            ),
        ]

    def __str__(self) -> str:
        return recurrence.describe(self.recurrence)

    def clean(self) -> None:
        # Times to the minute, once each, in order (as the web form gives them).
        self.times_of_day = sorted(
            {time.replace(second=0, microsecond=0) for time in self.times_of_day or []}
        )
        self.days_of_week = sorted(set(self.days_of_week or []))
        problems = recurrence.schedule_problems(
            self.frequency,
            self.times_of_day,
            self.days_of_week,
            self.interval,
            self.start_date,
            self.end_date,
        )
        for name in ("start_date", "end_date"):
            if not sane_date(getattr(self, name)):
                problems[name] = str(_("Please check the year."))
        if problems:
            raise ValidationError(problems)

    @property
    def recurrence(self) -> recurrence.Recurrence:
        return recurrence.Recurrence(
            frequency=self.frequency,
            times=tuple(self.times_of_day),
            start=self.start_date,
            end=self.end_date,
            weekdays=frozenset(self.days_of_week or ()),
            interval=self.interval or 1,
        )
