from django.db import migrations

from medtrack import rls


class Migration(migrations.Migration):
    dependencies = [("journal", "0001_initial"), ("caregivers", "0003_row_level_security")]

    operations = [
        rls.patient_scoped("daily_logs", area="logs"),
        rls.history("journal_dailylogevent", select=rls.member_of(rls.READERS, area="logs")),
    ]
