from django.db import migrations

from medtrack import rls


class Migration(migrations.Migration):
    dependencies = [("appointments", "0001_initial"), ("caregivers", "0003_row_level_security")]

    operations = [
        rls.patient_scoped("appointments", area="appointments", author="created_by_id"),
        rls.history(
            "appointments_appointmentevent",
            select=rls.member_of(rls.READERS, area="appointments"),
        ),
    ]
