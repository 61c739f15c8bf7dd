from django.db import migrations

from medtrack import rls


class Migration(migrations.Migration):
    dependencies = [("exports", "0001_initial"), ("caregivers", "0003_row_level_security")]

    operations = [
        rls.patient_scoped("export_jobs", area="exports", author="requested_by_id"),
        rls.history("exports_exportjobevent", select=rls.member_of(rls.READERS, area="exports")),
    ]
