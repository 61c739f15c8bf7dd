"""Operators: ``manage.py export_patient <uuid> --format {pdf,csv,json,fhir} --output PATH``
(system context; recorded in the access log)."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.services import access_log_record
from exports import data
from exports.models import Format
from exports.services import BUILDERS
from medtrack.rls import system_context
from patients.models import Patient


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("patient", type=uuid.UUID, help="The patient's id.")
        parser.add_argument("--format", choices=Format.values, default=Format.PDF)
        parser.add_argument("--output", type=Path, required=True, help="The file to write.")
        parser.add_argument("--from", dest="date_from", type=dt.date.fromisoformat)
        parser.add_argument("--to", dest="date_to", type=dt.date.fromisoformat)

    def handle(self, *args: Any, **options: Any) -> None:
        with system_context("manage.py export_patient"):
            patient = Patient.objects.filter(pk=options["patient"]).first()
            if patient is None:
                raise CommandError(f"No patient {options['patient']}.")
            today = patient.today()
            date_to = options["date_to"] or today
            date_from = options["date_from"] or date_to - dt.timedelta(days=365)
            if date_from > date_to:
                raise CommandError("--from must be on or before --to.")
            build, _mime, _extension = BUILDERS[options["format"]]
            content = build(data.collect(patient, date_from, date_to))
            access_log_record(
                request=None,
                action="export",
                patient_id=patient.pk,
                object_type=f"export:{options['format']}",
                detail={"by": "manage.py export_patient", "output": str(options["output"])},
            )
        options["output"].write_bytes(content)
        self.stdout.write(
            f"{options['format']} export of {patient.pk} ({date_from} to {date_to}): "
            f"{len(content)} bytes written to {options['output']}"
        )
