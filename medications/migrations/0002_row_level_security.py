from django.db import migrations

from medtrack import rls

TEAM = rls.member_of(rls.READERS, area="medications")


class Migration(migrations.Migration):
    dependencies = [("medications", "0001_initial"), ("caregivers", "0003_row_level_security")]

    operations = [
        rls.patient_scoped("medications", area="medications"),
        rls.patient_scoped("medication_schedules", area="medications"),
        rls.history("medications_medicationevent", select=TEAM),
        rls.history("medications_medicationscheduleevent", select=TEAM),
    ]
