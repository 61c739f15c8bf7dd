from django.db import migrations

from medtrack import rls

TEAM = rls.member_of(rls.READERS, area="logs")
WRITERS = rls.member_of(rls.WRITERS, area="logs", write=True)
PRIMARIES = rls.member_of(rls.MANAGERS, area="logs")
MINE = "created_by_id = rls_user_id()"


class Migration(migrations.Migration):
    dependencies = [("journal", "0001_initial"), ("caregivers", "0003_row_level_security")]

    operations = [
        # A caregiver writes and edits only their own entry (no one else's name on
        # it, and no moving it to another day); the author or a primary deletes it.
        rls.policies(
            "daily_logs",
            select=TEAM,
            insert=f"{WRITERS} AND {MINE}",
            update_check=f"{WRITERS} AND {MINE}",
            delete=f"{TEAM} AND ({MINE} OR {PRIMARIES})",
            area="logs",
            keep=("patient_id", "created_by_id", "log_date"),
        ),
        rls.history("journal_dailylogevent", select=TEAM),
    ]
