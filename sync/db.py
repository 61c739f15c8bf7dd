"""The change index in SQL: the trigger function and the migration operations.

Each synced table gets three statement-level triggers (insert, update, delete)
that move its rows' entries in ``sync_changes`` forward, one INSERT … ON
CONFLICT per statement (transition tables), so a bulk write such as dose
generation costs one extra statement, not one per row. The function is
SECURITY DEFINER, owned by the owner role: the app role reads the index
(row level security by patient) and can write nothing to it.

Ordering (the pull's cursor): every entry carries the id of the transaction
that wrote it (``pg_current_xact_id()``). Transactions commit out of id order,
so the pull never trusts ids alone: it serves exactly the entries whose
transaction is visible in the snapshot it is at and was not visible in the
snapshot the client's cursor was at (``pg_visible_in_snapshot``). A change that
commits late was invisible before and is visible now: it is served next time.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection, migrations

from medtrack import rls


def _app() -> str:
    return connection.ops.quote_name(settings.DATABASES["default"]["USER"])


def install() -> migrations.RunSQL:
    """The sequence, the trigger function and the guards on the index tables."""
    app = _app()
    return migrations.RunSQL(
        sql=f"""
        CREATE SEQUENCE sync_changes_seq;
        REVOKE ALL ON SEQUENCE sync_changes_seq FROM {app};

        CREATE FUNCTION sync_track_changes() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        DECLARE
            entity text := TG_ARGV[0];
            patient_column text := TG_ARGV[1];
        BEGIN
            IF TG_OP = 'DELETE' AND patient_column = 'id' THEN
                -- A patient deleted for good: its entries go with it (clients
                -- were told when it left their list).
                DELETE FROM sync_changes WHERE patient_id IN (SELECT id FROM old_rows);
                RETURN NULL;
            END IF;
            EXECUTE format(
                'INSERT INTO sync_changes AS c
                     (entity, entity_id, patient_id, deleted, seq, txid, changed_at)
                 SELECT $1, r.id, r.%1$I, $2, nextval(''sync_changes_seq''),
                        pg_current_xact_id()::text::bigint, now()
                 FROM %2$I r
                 WHERE r.%1$I IS NOT NULL
                   AND ($2 IS FALSE OR EXISTS (SELECT 1 FROM patients p WHERE p.id = r.%1$I))
                 ON CONFLICT (entity, entity_id) DO UPDATE
                 SET deleted = EXCLUDED.deleted, patient_id = EXCLUDED.patient_id,
                     seq = EXCLUDED.seq, txid = EXCLUDED.txid, changed_at = EXCLUDED.changed_at',
                patient_column,
                CASE WHEN TG_OP = 'DELETE' THEN 'old_rows' ELSE 'new_rows' END
            ) USING entity, TG_OP = 'DELETE';
            RETURN NULL;
        END $$;
        REVOKE EXECUTE ON FUNCTION sync_track_changes() FROM PUBLIC;

        ALTER TABLE sync_changes ENABLE ROW LEVEL SECURITY;
        CREATE POLICY sync_changes_select ON sync_changes FOR SELECT TO {app}
            USING ({rls.member_of(rls.READERS, area="patient")});
        REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON sync_changes FROM {app};

        -- Written in system context only (the rate limit); the app role sees nothing.
        ALTER TABLE api_request_counts ENABLE ROW LEVEL SECURITY;
        REVOKE ALL ON api_request_counts FROM {app};
        """,
        reverse_sql="""
        ALTER TABLE api_request_counts DISABLE ROW LEVEL SECURITY;
        DROP POLICY sync_changes_select ON sync_changes;
        ALTER TABLE sync_changes DISABLE ROW LEVEL SECURITY;
        DROP FUNCTION sync_track_changes();
        DROP SEQUENCE sync_changes_seq;
        """,
    )


def track(table: str, *, entity: str, patient_column: str = "patient_id") -> migrations.RunSQL:
    """Keep ``table``'s rows in the change index as ``entity`` (existing rows included)."""
    triggers = [
        f"CREATE TRIGGER sync_changes_{operation} AFTER {operation.upper()} ON {table} "
        f"REFERENCING {'OLD' if operation == 'delete' else 'NEW'} TABLE AS "
        f"{'old_rows' if operation == 'delete' else 'new_rows'} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION sync_track_changes('{entity}', '{patient_column}')"
        for operation in ("insert", "update", "delete")
    ]
    backfill = (
        "INSERT INTO sync_changes (entity, entity_id, patient_id, deleted, seq, txid, changed_at) "
        f"SELECT '{entity}', id, {patient_column}, false, nextval('sync_changes_seq'), "
        f"pg_current_xact_id()::text::bigint, now() FROM {table} "
        f"WHERE {patient_column} IS NOT NULL ORDER BY {patient_column}"
    )
    return migrations.RunSQL(
        sql=";\n".join([*triggers, backfill]),
        reverse_sql=";\n".join(
            [f"DROP TRIGGER sync_changes_{op} ON {table}" for op in ("insert", "update", "delete")]
            + [f"DELETE FROM sync_changes WHERE entity = '{entity}'"]
        ),
    )
