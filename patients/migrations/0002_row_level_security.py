from django.db import migrations

from medtrack import rls


class Migration(migrations.Migration):
    dependencies = [("patients", "0001_initial"), ("caregivers", "0002_initial")]

    operations = [
        rls.install_functions(),
        rls.policies(
            "patients",
            select=rls.member_of(rls.READERS, area="patient", column="id"),
            # A new patient is not on anyone's team yet: its creator may insert it,
            # then add themselves as its first primary (rls_may_bootstrap).
            insert="created_by = rls_user_id()",
            update_check=rls.member_of(rls.WRITERS, area="patient", write=True, column="id"),
            area="patient",
            keep=("id", "created_by"),
            primaries_only=("is_deleted", "deleted_at"),
            delete_column="id",
            delete_roles=rls.MANAGERS,
        ),
        rls.history(
            "patients_patientevent",
            select=rls.member_of(rls.READERS, area="patient", column="pgh_obj_id"),
        ),
    ]
