from django.conf import settings
from django.db import migrations

from medtrack import rls

APP = settings.DATABASES["default"]["USER"]

#: Files of patients where I may (read, write) the files area.
MY_PATIENTS_FILES = rls.member_of(rls.READERS, area="files")
SHARED_WITH_ME = "id = ANY (ARRAY(SELECT rls_shared_file_ids()))"
FILES_I_SEE = f"file_id = ANY (ARRAY(SELECT id FROM files WHERE {MY_PATIENTS_FILES}))"
FILES_I_MAY_SHARE = (
    "file_id = ANY (ARRAY(SELECT id FROM files WHERE "
    + rls.member_of(rls.WRITERS, area="files", write=True)
    + "))"
)


class Migration(migrations.Migration):
    dependencies = [("files", "0001_initial"), ("caregivers", "0003_row_level_security")]

    operations = [
        # Files shared with me by a live share (not revoked, not expired, the
        # patient not deleted).
        # SECURITY DEFINER, so the files policy can read file_shares without
        # recursing into file_shares' own policy (which reads files).
        migrations.RunSQL(
            sql=f"""
            CREATE FUNCTION rls_shared_file_ids() RETURNS SETOF uuid
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
                SELECT s.file_id FROM file_shares s
                JOIN files f ON f.id = s.file_id
                JOIN patients p ON p.id = f.patient_id
                WHERE s.shared_with = rls_user_id() AND s.revoked_at IS NULL
                  AND (s.expires_at IS NULL OR s.expires_at > now())
                  AND coalesce((s.permissions ->> 'read')::boolean, true)
                  AND NOT p.is_deleted
            $$;
            REVOKE EXECUTE ON FUNCTION rls_shared_file_ids() FROM PUBLIC;
            GRANT EXECUTE ON FUNCTION rls_shared_file_ids() TO "{APP}";
            """,
            reverse_sql="DROP FUNCTION rls_shared_file_ids();",
        ),
        rls.policies(
            "files",
            select=f"{MY_PATIENTS_FILES} OR {SHARED_WITH_ME}",
            insert=rls.member_of(rls.WRITERS, area="files", write=True)
            + " AND (uploaded_by IS NULL OR uploaded_by = rls_user_id())",
            update_check=rls.member_of(rls.WRITERS, area="files", write=True),
            area="files",
            # What was stored never changes: only its name, note and attachment.
            keep=(
                "patient_id",
                "uploaded_by",
                "filename",
                "storage_path",
                "mime_type",
                "size",
                "metadata",
            ),
        ),
        rls.policies(
            "file_shares",
            select=f"shared_with = rls_user_id() OR {FILES_I_SEE}",
            insert=f"{FILES_I_MAY_SHARE} AND shared_by = rls_user_id()",
            update_check=FILES_I_MAY_SHARE,
            delete=FILES_I_MAY_SHARE,
            area="files",
            delete_column=None,
            keep=("file_id", "shared_with", "shared_by"),
        ),
        rls.history("files_fileevent", select=MY_PATIENTS_FILES),
        rls.history(
            "files_fileshareevent", select=f"shared_with = rls_user_id() OR {FILES_I_SEE}"
        ),
    ]
