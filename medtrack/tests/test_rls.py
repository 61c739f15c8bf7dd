"""Row level security, proved with raw SQL over the app role's connection.

Whatever a view forgets, the database shows a user only their own families.
"""

from __future__ import annotations

import uuid

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError, ProgrammingError
from psycopg import sql

from accounts.models import User
from caregivers.models import PatientCaregiver
from files.models import File
from medtrack.rls import acting_as, system_context
from medtrack.tests.dbwalk import (
    history_tables,
    patient_column,
    patient_scoped_tables,
    personal_tables,
    rows,
)
from patients.models import Patient

pytestmark = [pytest.mark.db_behaviour, pytest.mark.django_db]

UNREADABLE = "access_log"  # the app cannot read it at all: tested on its own


def count(table: str, patient: Patient | None = None) -> int:
    query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
    params: list = []
    if patient is not None and table in FILE_KEYED:
        # file_shares (the plan gives it no patient_id): the shares of the patient's files.
        with system_context("test"):
            file_ids = list(File.objects.filter(patient=patient).values_list("pk", flat=True))
        query = sql.SQL("{} WHERE file_id = ANY (%s)").format(query)
        params = [file_ids]
    elif patient is not None:
        query = sql.SQL("{} WHERE {} = %s").format(query, sql.Identifier(patient_column(table)))
        params = [patient.pk]
    with connection.cursor() as cursor:
        cursor.execute(query.as_string(cursor.connection), params)
        return cursor.fetchone()[0]


FILE_KEYED = {"file_shares", "files_fileshareevent"}


def tables() -> list[str]:
    return sorted(
        (patient_scoped_tables() | history_tables() | FILE_KEYED)
        - {UNREADABLE}
        - personal_tables()
    )


def counts_as(user_id: uuid.UUID | None, patient: Patient | None) -> dict[str, int]:
    with acting_as(user_id):
        return {table: count(table, patient) for table in tables()}


def test_the_family_has_rows_in_every_table_the_proof_walks(patient: Patient) -> None:
    # Otherwise "a stranger sees 0 rows" proves nothing: give a new table's
    # section some data in conftest's ``patient`` fixture.
    with system_context("test"):
        empty = [table for table in tables() if count(table, patient) == 0]
    assert empty == []


def test_a_stranger_sees_no_row_of_another_family(
    patient: Patient, stranger: User, other_patient: Patient
) -> None:
    assert set(counts_as(stranger.pk, patient).values()) == {0}
    assert counts_as(stranger.pk, other_patient)["patients"] == 1


def test_the_team_sees_its_patient(
    patient: Patient, primary: User, secondary: User, viewer: User
) -> None:
    for member in (primary, secondary, viewer):
        seen = counts_as(member.pk, patient)
        assert seen["patients"] == 1
        assert seen["patient_caregivers"] == 3


def test_personal_tables_show_each_person_only_their_own(
    patient: Patient, primary: User, stranger: User
) -> None:
    def own_rows(user_id: uuid.UUID | None) -> dict[str, int]:
        found = {}
        for table in personal_tables():
            query = sql.SQL("SELECT count(*) FROM {} WHERE user_id = %s").format(
                sql.Identifier(table)
            )
            with connection.cursor() as cursor:
                cursor.execute(query.as_string(cursor.connection), [primary.pk])
                found[table] = cursor.fetchone()[0]
        return found

    assert {"api_tokens", "notification_preferences"} <= personal_tables()
    with system_context("test"):
        assert 0 not in own_rows(None).values()  # the fixture gives Alice a row in each
    with acting_as(primary.pk):
        assert 0 not in own_rows(primary.pk).values()
    with acting_as(stranger.pk):
        assert set(own_rows(stranger.pk).values()) == {0}


def test_without_a_user_id_nothing_is_visible(patient: Patient, other_patient: Patient) -> None:
    assert set(counts_as(None, None).values()) == {0}


def hand_over(patient: Patient, from_user: User, to_user: User, *, delete: bool = False) -> None:
    """Make ``to_user`` primary and take ``from_user`` off the team (a team keeps a primary)."""
    with system_context("test"):
        PatientCaregiver.objects.filter(patient=patient, caregiver=to_user).update(role="primary")
        leaving = PatientCaregiver.objects.filter(patient=patient, caregiver=from_user)
        leaving.delete() if delete else leaving.update(is_active=False)


def test_a_creator_removed_from_the_team_sees_nothing_but_their_own_membership(
    patient: Patient, primary: User, secondary: User
) -> None:
    hand_over(patient, primary, secondary)

    seen = counts_as(primary.pk, patient)

    assert seen.pop("patient_caregivers") == 1  # their own (inactive) row
    assert seen.pop("caregivers_patientcaregiverevent") >= 1  # its history
    assert set(seen.values()) == {0}


def test_the_app_cannot_read_the_access_log(patient: Patient, primary: User) -> None:
    with pytest.raises(ProgrammingError, match="permission denied"), acting_as(primary.pk):
        count("access_log")


def attempt(user: User, statement: str, params: list) -> None:
    with acting_as(user.pk), connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_a_viewer_update_fails_loudly(patient: Patient, viewer: User) -> None:
    with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
        attempt(viewer, "UPDATE patients SET name = 'x' WHERE id = %s", [patient.pk])


def test_only_a_primary_may_delete_a_patient(
    patient: Patient, secondary: User, viewer: User
) -> None:
    for member in (secondary, viewer):
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            attempt(member, "DELETE FROM patients WHERE id = %s", [patient.pk])


def join_as_primary(user: User, patient: Patient) -> None:
    attempt(
        user,
        "INSERT INTO patient_caregivers (id, patient_id, caregiver_id, role, permissions, is_active) "
        "VALUES (gen_random_uuid(), %s, %s, 'primary', '{}', true)",
        [patient.pk, user.pk],
    )


def test_a_stranger_cannot_join_a_team(patient: Patient, stranger: User) -> None:
    with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
        join_as_primary(stranger, patient)


def test_a_secondary_cannot_promote_themselves(patient: Patient, secondary: User) -> None:
    with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
        attempt(
            secondary,
            "UPDATE patient_caregivers SET role = 'primary' WHERE caregiver_id = %s",
            [secondary.pk],
        )


def test_a_member_may_leave(patient: Patient, secondary: User) -> None:
    attempt(
        secondary,
        "UPDATE patient_caregivers SET is_active = false WHERE caregiver_id = %s",
        [secondary.pk],
    )
    assert counts_as(secondary.pk, patient)["patients"] == 0


def test_the_bootstrap_works_once_and_only_for_the_creator(
    patient: Patient, primary: User, secondary: User, stranger: User
) -> None:
    # A removed creator cannot put themselves back: the team is not empty.
    hand_over(patient, primary, secondary, delete=True)
    with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
        join_as_primary(primary, patient)
    # Nor can anyone create a patient in someone else's name.
    with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
        attempt(
            stranger,
            "INSERT INTO patients (id, name, dob, gender, emergency_contact, created_by) "
            "VALUES (gen_random_uuid(), 'Forged', '2000-01-01', 'other', '{}', %s)",
            [primary.pk],
        )


def test_the_app_cannot_switch_row_level_security_off(patient: Patient, stranger: User) -> None:
    for statement in (
        "ALTER TABLE patients DISABLE ROW LEVEL SECURITY",
        "DROP POLICY patients_select ON patients",
        "ALTER TABLE patients DISABLE TRIGGER ALL",
    ):
        with pytest.raises(ProgrammingError, match="must be owner"), transaction.atomic():
            attempt(stranger, statement, [])


def test_system_context_restores_the_app_role_afterwards(patient: Patient) -> None:
    with system_context("test"):
        assert rows("SELECT current_user")[0][0] == "medtrack_owner"
        with system_context("nested"):
            pass
        assert rows("SELECT current_user")[0][0] == "medtrack_owner"
    assert rows("SELECT current_user")[0][0] == "medtrack_app"


def test_rows_never_move_to_another_patient_or_person(
    patient: Patient, other_patient: Patient, primary: User, secondary: User, stranger: User
) -> None:
    for statement, params in (
        (
            "UPDATE patient_caregivers SET caregiver_id = %s, is_active = false WHERE caregiver_id = %s",
            [secondary.pk, primary.pk],
        ),
        ("UPDATE medications SET patient_id = %s", [other_patient.pk]),
        ("UPDATE patients SET created_by = %s WHERE id = %s", [secondary.pk, patient.pk]),
    ):
        with (
            pytest.raises(DatabaseError, match=r"may not change|row-level security"),
            transaction.atomic(),
        ):
            attempt(secondary, statement, params)


def test_only_a_primary_may_delete_a_patient_even_softly(
    patient: Patient, secondary: User
) -> None:
    with pytest.raises(DatabaseError, match="only a primary caregiver"), transaction.atomic():
        attempt(
            secondary,
            "UPDATE patients SET is_deleted = true, deleted_at = now() WHERE id = %s",
            [patient.pk],
        )


def test_a_journal_entry_is_its_authors_and_a_reading_keeps_who_recorded_it(
    patient: Patient, primary: User, secondary: User
) -> None:
    """Only the author writes an entry (no one else's name on a new one); the
    author or a primary deletes it; who recorded a reading cannot be rewritten."""
    for statement, params, error in (
        (
            "UPDATE daily_logs SET notes = 'mine now' WHERE created_by_id = %s",
            [primary.pk],
            "row-level security",
        ),
        ("UPDATE daily_logs SET created_by_id = %s", [secondary.pk], "may not change"),
        (
            "INSERT INTO daily_logs (id, patient_id, log_date, created_by_id, symptoms, activities, notes) "
            "VALUES (gen_random_uuid(), %s, '2026-01-01', %s, '{}', '{}', 'forged')",
            [patient.pk, primary.pk],
            "row-level security",
        ),
        ("UPDATE measurements SET recorded_by_id = %s", [secondary.pk], "may not change"),
        (
            "INSERT INTO measurements (id, patient_id, type, label, value, unit, measured_at, "
            "context, notes, source, recorded_by_id, out_of_range) VALUES (gen_random_uuid(), %s, "
            "'weight', '', 70, 'kg', now(), '', '', 'manual', %s, false)",
            [patient.pk, primary.pk],
            "row-level security",
        ),
    ):
        with pytest.raises(DatabaseError, match=error), transaction.atomic():
            attempt(secondary, statement, params)
    with acting_as(secondary.pk), connection.cursor() as cursor:
        cursor.execute("DELETE FROM daily_logs WHERE created_by_id = %s", [primary.pk])
        assert cursor.rowcount == 0  # not theirs to delete
    with acting_as(primary.pk), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO daily_logs (id, patient_id, log_date, created_by_id, symptoms, activities,"
            " notes) VALUES (gen_random_uuid(), %s, '2026-01-02', %s, '{}', '{}', 'by Bob')",
            [patient.pk, primary.pk],
        )
        cursor.execute("DELETE FROM daily_logs WHERE notes = 'by Bob'")
        assert cursor.rowcount == 1  # a primary may


def test_personal_tokens_are_their_owners_alone(primary: User, stranger: User) -> None:
    from accounts import tokens
    from accounts.models import ApiToken, Scope

    with acting_as(primary.pk):
        tokens.token_create(user=primary, name="phone", scopes=[Scope.CALENDAR_READ])
        assert ApiToken.objects.count() == 1
    with acting_as(stranger.pk):
        assert ApiToken.objects.count() == 0
        assert ApiToken.objects.update(revoked_at=None) == 0
    with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
        attempt(
            stranger,
            "INSERT INTO api_tokens (id, user_id, name, token_hash, scopes, created_at) "
            "VALUES (gen_random_uuid(), %s, 'forged', 'x', '{calendar:read}', now())",
            [primary.pk],
        )
