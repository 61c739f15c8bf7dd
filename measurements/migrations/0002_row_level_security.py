from django.db import migrations

from medtrack import rls

TEAM = rls.member_of(rls.READERS, area="measurements")


class Migration(migrations.Migration):
    dependencies = [("measurements", "0001_initial"), ("caregivers", "0003_row_level_security")]

    operations = [
        # Who recorded a reading is theirs to say, and a reading keeps its type.
        rls.patient_scoped(
            "measurements", area="measurements", author="recorded_by_id", keep=("type",)
        ),
        rls.patient_scoped("measurement_thresholds", area="measurements", keep=("type",)),
        rls.history("measurements_measurementevent", select=TEAM),
        rls.history("measurements_measurementthresholdevent", select=TEAM),
    ]
