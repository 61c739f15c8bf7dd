from django.db import migrations

from medtrack import rls

# Mine, and about a patient I am still on the team of (or about no patient).
MINE = (
    "user_id = rls_user_id() AND (patient_id IS NULL OR "
    + rls.member_of(rls.READERS, area="patient")
    + ")"
)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial"), ("caregivers", "0003_row_level_security")]

    operations = [
        rls.personal("notifications", visible=MINE),
        rls.history("notifications_notificationevent", select=MINE),
    ]
