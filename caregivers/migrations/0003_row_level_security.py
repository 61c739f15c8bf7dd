from django.db import migrations

from medtrack import rls

MINE = "caregiver_id = rls_user_id()"


class Migration(migrations.Migration):
    dependencies = [("caregivers", "0002_initial"), ("patients", "0002_row_level_security")]

    operations = [
        rls.policies(
            "patient_caregivers",
            # My patients' teams, and my own rows (also after I left).
            select=f"{rls.member_of(rls.READERS)} OR {MINE}",
            insert=f"{rls.member_of(rls.MANAGERS)} OR rls_may_bootstrap(patient_id, caregiver_id, role)",
            # Primaries manage the team; anyone may leave (deactivate their own row).
            update_check=f"{rls.member_of(rls.MANAGERS)} OR ({MINE} AND NOT is_active)",
            delete_roles=rls.MANAGERS,
        ),
        rls.history(
            "caregivers_patientcaregiverevent", select=f"{rls.member_of(rls.READERS)} OR {MINE}"
        ),
    ]
