"""Row level security: the SQL, the migration operations and the runtime context.

The database's half of "guarded twice" (the application's half is
``patients.access``). The app logs in as a role that owns no table, so the
policies below always apply to it:

* ``app.user_id`` names the acting user, set transaction-locally per request
  (``acting_as``) by ``medtrack.middleware.DatabaseContextMiddleware``.
* ``system_context`` switches to the owner role, which bypasses RLS, for jobs,
  management commands, staff in the admin and invitation acceptance.
* Migrations add policies with one line, e.g.
  ``operations = [..., rls.patient_scoped("medications", area="medications")]``.

The policy predicate ``patient_id = ANY (ARRAY(SELECT rls_patient_ids(…)))``
is the form that keeps index scans (STACK.md: EXISTS/IN with an OR did not).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, migrations, transaction

READERS = ("primary", "secondary", "viewer")
WRITERS = ("primary", "secondary")
MANAGERS = ("primary",)


def _app() -> str:
    return connection.ops.quote_name(settings.DATABASES["default"]["USER"])


def _owner() -> str:
    return connection.ops.quote_name(settings.DATABASE_OWNER_ROLE)


def _roles(roles: tuple[str, ...]) -> str:
    return ", ".join(f"'{role}'" for role in roles)


def member_of(
    roles: tuple[str, ...], *, area: str, write: bool = False, column: str = "patient_id"
) -> str:
    """SQL: the row's patient is one where I am an active member with one of
    ``roles``, and my ``permissions`` do not narrow ``area`` below what is needed."""
    return (
        f"{column} = ANY (ARRAY(SELECT rls_patient_ids('{area}', {str(write).lower()}, "
        f"{_roles(roles)})))"
    )


# -- Functions (installed once, by caregivers.0002) ------------------------------


def install_functions() -> migrations.RunSQL:
    app = _app()
    return migrations.RunSQL(
        sql=f"""
        CREATE FUNCTION rls_user_id() RETURNS uuid LANGUAGE sql STABLE AS $$
            SELECT NULLIF(current_setting('app.user_id', true), '')::uuid
        $$;

        -- Patients where the acting user is an active member with one of the roles
        -- and whose permissions (which only narrow) leave p_area readable, or
        -- writable when p_write. SECURITY DEFINER (owned by the owner role, which
        -- bypasses RLS) so the patient_caregivers policy can use it without
        -- recursing into itself.
        CREATE FUNCTION rls_patient_ids(p_area text, p_write boolean, VARIADIC p_roles text[])
        RETURNS SETOF uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
            SELECT patient_id FROM patient_caregivers
            WHERE caregiver_id = rls_user_id() AND is_active AND role = ANY (p_roles)
              AND coalesce(permissions ->> p_area, 'write') <> 'none'
              AND NOT (p_write AND coalesce(permissions ->> p_area, 'write') = 'read')
        $$;

        -- The bootstrap: I may add myself as the first primary of a patient I created.
        CREATE FUNCTION rls_may_bootstrap(p_patient uuid, p_caregiver uuid, p_role text)
        RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
            SELECT p_caregiver = rls_user_id() AND p_role = 'primary'
               AND EXISTS (SELECT 1 FROM patients
                           WHERE id = p_patient AND created_by = rls_user_id())
               AND NOT EXISTS (SELECT 1 FROM patient_caregivers WHERE patient_id = p_patient)
        $$;

        -- DELETE policies use the readers' rule (so a viewer's delete is visible
        -- to it) and this trigger refuses it loudly, as UPDATE's WITH CHECK does.
        -- TG_ARGV[0] is the patient column, [1] the area, the rest the roles that may delete.
        -- The owner role (system context, foreign-key cascades) is exempt.
        CREATE FUNCTION rls_check_delete() RETURNS trigger
        LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
        BEGIN
            IF current_user = '{settings.DATABASE_OWNER_ROLE}' THEN
                RETURN OLD;
            END IF;
            IF NOT ((to_jsonb(OLD) ->> TG_ARGV[0])::uuid = ANY (ARRAY(SELECT
                    rls_patient_ids(TG_ARGV[1], true, VARIADIC TG_ARGV[2:TG_NARGS - 1])))) THEN
                RAISE EXCEPTION 'permission denied to delete from %', TG_TABLE_NAME
                    USING ERRCODE = '42501';
            END IF;
            RETURN OLD;
        END $$;

        -- Before an update by the app: TG_ARGV[0] is the patient column, [1] the
        -- area, [2] columns nobody may change (a row never moves to another
        -- patient or person), [3] columns only a primary may change.
        CREATE FUNCTION rls_check_update() RETURNS trigger
        LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
        DECLARE
            column_name text;
        BEGIN
            IF current_user = '{settings.DATABASE_OWNER_ROLE}' THEN
                RETURN NEW;
            END IF;
            FOREACH column_name IN ARRAY string_to_array(TG_ARGV[2], ',') LOOP
                IF (to_jsonb(OLD) -> column_name)
                   IS DISTINCT FROM (to_jsonb(NEW) -> column_name) THEN
                    RAISE EXCEPTION '% may not change on %', column_name, TG_TABLE_NAME
                        USING ERRCODE = '42501';
                END IF;
            END LOOP;
            FOREACH column_name IN ARRAY string_to_array(TG_ARGV[3], ',') LOOP
                IF (to_jsonb(OLD) -> column_name) IS DISTINCT FROM (to_jsonb(NEW) -> column_name)
                   AND NOT ((to_jsonb(OLD) ->> TG_ARGV[0])::uuid = ANY (ARRAY(
                       SELECT rls_patient_ids(TG_ARGV[1], true, 'primary')))) THEN
                    RAISE EXCEPTION 'only a primary caregiver may change % on %',
                        column_name, TG_TABLE_NAME USING ERRCODE = '42501';
                END IF;
            END LOOP;
            RETURN NEW;
        END $$;

        REVOKE EXECUTE ON FUNCTION rls_patient_ids(text, boolean, text[]) FROM PUBLIC;
        REVOKE EXECUTE ON FUNCTION rls_may_bootstrap(uuid, uuid, text) FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION rls_patient_ids(text, boolean, text[]) TO {app};
        GRANT EXECUTE ON FUNCTION rls_may_bootstrap(uuid, uuid, text) TO {app};
        """,
        reverse_sql="""
        DROP FUNCTION rls_check_update();
        DROP FUNCTION rls_check_delete();
        DROP FUNCTION rls_may_bootstrap(uuid, uuid, text);
        DROP FUNCTION rls_patient_ids(text, boolean, text[]);
        DROP FUNCTION rls_user_id();
        """,
    )


# -- Migration operations ------------------------------------------------------------


def policies(
    table: str,
    *,
    select: str,
    insert: str,
    update_check: str | None = None,
    delete: str | None = None,
    area: str,
    delete_column: str | None = "patient_id",
    delete_roles: tuple[str, ...] = WRITERS,
    keep: tuple[str, ...] = ("patient_id",),
    primaries_only: tuple[str, ...] = (),
) -> migrations.RunSQL:
    """Enable RLS on ``table`` with policies for the app role (the general form).

    ``keep`` lists columns an update may never change (the row stays with its
    patient); ``primaries_only`` those only a primary caregiver may change;
    ``delete`` narrows which visible rows may be deleted.
    """
    app = _app()
    statements = [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"CREATE POLICY {table}_select ON {table} FOR SELECT TO {app} USING ({select})",
        f"CREATE POLICY {table}_insert ON {table} FOR INSERT TO {app} WITH CHECK ({insert})",
        f"CREATE POLICY {table}_update ON {table} FOR UPDATE TO {app} "
        f"USING ({select}) WITH CHECK ({update_check or insert})",
        f"CREATE POLICY {table}_delete ON {table} FOR DELETE TO {app} USING ({delete or select})",
    ]
    reverse = [
        f"DROP POLICY {table}_{action} ON {table}"
        for action in ("select", "insert", "update", "delete")
    ] + [f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY"]
    patient_column = delete_column or "patient_id"
    statements.append(
        f"CREATE TRIGGER {table}_rls_update BEFORE UPDATE ON {table} FOR EACH ROW "
        f"EXECUTE FUNCTION rls_check_update('{patient_column}', '{area}', "
        f"'{','.join(keep)}', '{','.join(primaries_only)}')"
    )
    reverse.insert(0, f"DROP TRIGGER {table}_rls_update ON {table}")
    if delete_column:
        arguments = ", ".join(f"'{value}'" for value in (delete_column, area, *delete_roles))
        statements.append(
            f"CREATE TRIGGER {table}_rls_delete BEFORE DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION rls_check_delete({arguments})"
        )
        reverse.insert(0, f"DROP TRIGGER {table}_rls_delete ON {table}")
    return migrations.RunSQL(sql=";\n".join(statements), reverse_sql=";\n".join(reverse))


def patient_scoped(
    table: str,
    *,
    area: str,
    writers: tuple[str, ...] = WRITERS,
    author: str = "",
    keep: tuple[str, ...] = (),
) -> migrations.RunSQL:
    """The standard rule for a table with ``patient_id`` in ``area``: the team
    reads, ``writers`` write, unless a member's permissions narrow the area.

    ``author`` names the column saying who wrote a row: a new row must name me
    (or nobody) there, and no update may change it. ``keep`` adds columns no
    update may change.
    """
    insert = member_of(writers, area=area, write=True)
    if author:
        insert += f" AND ({author} IS NULL OR {author} = rls_user_id())"
    return policies(
        table,
        select=member_of(READERS, area=area),
        insert=insert,
        update_check=member_of(writers, area=area, write=True),
        area=area,
        delete_roles=writers,
        keep=("patient_id", *((author,) if author else ()), *keep),
    )


def history(event_table: str, *, select: str) -> migrations.RunSQL:
    """A pghistory event table: readable like its source, appended to by triggers only."""
    app = _app()
    return migrations.RunSQL(
        sql=f"""
        ALTER TABLE {event_table} ENABLE ROW LEVEL SECURITY;
        CREATE POLICY {event_table}_select ON {event_table} FOR SELECT TO {app} USING ({select});
        CREATE POLICY {event_table}_insert ON {event_table} FOR INSERT TO {app} WITH CHECK (true);
        REVOKE UPDATE, DELETE, TRUNCATE ON {event_table} FROM {app};
        """,
        reverse_sql=f"""
        DROP POLICY {event_table}_select ON {event_table};
        DROP POLICY {event_table}_insert ON {event_table};
        ALTER TABLE {event_table} DISABLE ROW LEVEL SECURITY;
        """,
    )


def insert_only(table: str) -> migrations.RunSQL:
    """A log the app may append to but never read, change or delete (access_log)."""
    app = _app()
    return migrations.RunSQL(
        sql=f"""
        ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
        CREATE POLICY {table}_insert ON {table} FOR INSERT TO {app} WITH CHECK (true);
        REVOKE SELECT, UPDATE, DELETE, TRUNCATE ON {table} FROM {app};
        """,
        reverse_sql=f"""
        DROP POLICY {table}_insert ON {table};
        ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;
        """,
    )


def read_only(table: str, *, select: str) -> migrations.RunSQL:
    """A table the app may read under ``select`` but never write: its rows are made
    in system context (staff's emergency access grants)."""
    app = _app()
    return migrations.RunSQL(
        sql=f"""
        ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
        CREATE POLICY {table}_select ON {table} FOR SELECT TO {app} USING ({select});
        REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {table} FROM {app};
        """,
        reverse_sql=f"""
        DROP POLICY {table}_select ON {table};
        ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;
        """,
    )


# -- Runtime context -------------------------------------------------------------------


def _set_user(user_id: uuid.UUID | str | None) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('app.user_id', true), set_config('app.user_id', %s, true)",
            [str(user_id) if user_id else ""],
        )
        (previous, _) = cursor.fetchone()
    return previous or ""


@contextmanager
def acting_as(user_id: uuid.UUID | str | None) -> Iterator[None]:
    """Run the block, in a transaction, as ``user_id``: for the RLS policies
    and as the actor recorded in the history of what it writes."""
    import pghistory

    nested = connection.in_atomic_block
    actor = pghistory.context(user=str(user_id)) if user_id else contextlib.nullcontext()
    with transaction.atomic(), actor:
        previous = _set_user(user_id)
        yield
        if nested and not connection.needs_rollback:
            # A transaction-local setting survives RELEASE SAVEPOINT: put it
            # back. (On an error, rolling back the savepoint restores it.)
            _set_user(previous)


@contextmanager
def system_context(reason: str) -> Iterator[None]:
    """Run the block as the owner role, which row level security does not restrict.

    For jobs, management commands, staff in the admin and the few flows that
    act before a team membership exists. ``reason`` is recorded in the history
    context of every write made inside. ``SET LOCAL ROLE`` survives RELEASE
    SAVEPOINT, so the previous role is restored explicitly; on an error the
    savepoint's rollback restores it.
    """
    import pghistory

    with transaction.atomic(), pghistory.context(system=reason):
        with connection.cursor() as cursor:
            # ``SET LOCAL ROLE`` as a function, so the role in force is read and
            # changed in one round trip (the ``role`` setting is what SET ROLE sets).
            # The CTE's row (the role before) is produced before the projection runs.
            cursor.execute(
                "WITH before AS MATERIALIZED (SELECT current_user AS role) "
                "SELECT role, set_config('role', %s, true) FROM before",
                [settings.DATABASE_OWNER_ROLE],
            )
            (previous, _) = cursor.fetchone()
        yield
        if not connection.needs_rollback:  # else the savepoint's rollback restores it
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL ROLE {connection.ops.quote_name(previous)}")


def personal(table: str, *, column: str = "user_id", visible: str = "") -> migrations.RunSQL:
    """A table of one person's own rows (tokens, notifications): I read, change and
    delete mine (``visible`` narrows further); rows for others are made in system
    context (jobs)."""
    app = _app()
    mine = f"{column} = rls_user_id()"
    see = visible or mine
    return migrations.RunSQL(
        sql=f"""
        ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
        CREATE POLICY {table}_select ON {table} FOR SELECT TO {app} USING ({see});
        CREATE POLICY {table}_insert ON {table} FOR INSERT TO {app} WITH CHECK ({mine});
        CREATE POLICY {table}_update ON {table} FOR UPDATE TO {app} USING ({see})
            WITH CHECK ({mine});
        CREATE POLICY {table}_delete ON {table} FOR DELETE TO {app} USING ({see});
        """,
        reverse_sql=f"""
        DROP POLICY {table}_select ON {table};
        DROP POLICY {table}_insert ON {table};
        DROP POLICY {table}_update ON {table};
        DROP POLICY {table}_delete ON {table};
        ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;
        """,
    )
