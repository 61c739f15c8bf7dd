from django.db import migrations

from medtrack import rls
from sync import db


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0001_initial"),
        ("patients", "0002_row_level_security"),
        ("caregivers", "0003_row_level_security"),
        ("medications", "0002_row_level_security"),
        ("doses", "0004_as_needed_index"),
        ("measurements", "0002_row_level_security"),
        ("journal", "0002_row_level_security"),
        ("appointments", "0002_row_level_security"),
        ("files", "0002_row_level_security"),
        ("accounts", "0004_api_tokens_row_level_security"),
    ]

    operations = [
        db.install(),
        rls.personal("sync_logs"),
        db.track("patients", entity="patients", patient_column="id"),
        db.track("patient_caregivers", entity="team"),
        db.track("medications", entity="medications"),
        db.track("medication_schedules", entity="schedules"),
        db.track("doses", entity="doses"),
        db.track("measurements", entity="measurements"),
        db.track("daily_logs", entity="daily_logs"),
        db.track("appointments", entity="appointments"),
        db.track("files", entity="files"),
    ]
