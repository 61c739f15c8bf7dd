from django.db import migrations

from medtrack import rls

MINE = "caregiver_id = rls_user_id()"
TEAM = rls.member_of(rls.READERS, area="caregivers")
MANAGE = rls.member_of(rls.MANAGERS, area="caregivers", write=True)


class Migration(migrations.Migration):
    dependencies = [("caregivers", "0002_initial"), ("patients", "0002_row_level_security")]

    operations = [
        rls.policies(
            "patient_caregivers",
            # My patients' teams, and my own rows (also after I left).
            select=f"{TEAM} OR {MINE}",
            insert=f"{MANAGE} OR rls_may_bootstrap(patient_id, caregiver_id, role)",
            # Primaries manage the team; anyone may leave (deactivate their own row).
            update_check=f"{MANAGE} OR ({MINE} AND NOT is_active)",
            area="caregivers",
            keep=("patient_id", "caregiver_id"),
            delete_roles=rls.MANAGERS,
        ),
        rls.history("caregivers_patientcaregiverevent", select=f"{TEAM} OR {MINE}"),
        rls.policies(
            "caregiver_invitations",
            select=TEAM,
            insert=MANAGE,
            area="caregivers",
            keep=("patient_id", "email", "invited_by_id"),
            delete_roles=rls.MANAGERS,
        ),
        rls.history("caregivers_caregiverinvitationevent", select=TEAM),
        # The care team always keeps an active primary caregiver. The services
        # check it under a lock (so two primaries demoting each other at once
        # leave one); this deferred trigger is the database's guarantee.
        migrations.RunSQL(
            sql="""
            CREATE FUNCTION patient_caregivers_keep_a_primary() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
            BEGIN
                IF EXISTS (SELECT 1 FROM patients WHERE id = OLD.patient_id)
                   AND NOT EXISTS (SELECT 1 FROM patient_caregivers
                                   WHERE patient_id = OLD.patient_id
                                     AND role = 'primary' AND is_active) THEN
                    RAISE EXCEPTION 'a care team needs an active primary caregiver'
                        USING ERRCODE = '23514',
                              CONSTRAINT = 'patient_caregivers_keep_a_primary';
                END IF;
                RETURN NULL;
            END $$;
            CREATE CONSTRAINT TRIGGER patient_caregivers_keep_a_primary
                AFTER UPDATE OR DELETE ON patient_caregivers
                DEFERRABLE INITIALLY DEFERRED
                FOR EACH ROW EXECUTE FUNCTION patient_caregivers_keep_a_primary();
            """,
            reverse_sql="""
            DROP TRIGGER patient_caregivers_keep_a_primary ON patient_caregivers;
            DROP FUNCTION patient_caregivers_keep_a_primary();
            """,
        ),
    ]
