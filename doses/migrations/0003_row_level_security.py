from django.db import migrations

from medtrack import rls


class Migration(migrations.Migration):
    dependencies = [("doses", "0002_initial"), ("caregivers", "0003_row_level_security")]

    operations = [
        rls.patient_scoped("doses", area="doses"),
        rls.history("doses_doseevent", select=rls.member_of(rls.READERS, area="doses")),
    ]
