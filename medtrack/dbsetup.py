"""Prepare a PostgreSQL server for MedTrack's two-role arrangement.

``medtrack_owner`` (NOLOGIN) owns every table, function and history table and
runs migrations; the app logs in as ``medtrack_app``, which owns nothing, so
row level security always applies to it. Neither is a superuser or has
BYPASSRLS. Used by ``manage.py setup_database`` (operators) and by the
embedded server's start script; plain psycopg, no Django settings needed.
Every statement is idempotent: running it again repairs drift.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

#: PostgreSQL 16 split role membership into INHERIT and SET options.
PG16 = 160000


@dataclass(frozen=True)
class Roles:
    database: str
    app: str
    owner: str
    app_password: str | None = None


def provision_server(admin_conninfo: str, roles: Roles) -> list[str]:
    """Create or repair both roles and the database; return what was done."""
    done: list[str] = []
    with psycopg.connect(admin_conninfo, autocommit=True) as conn:
        _ensure_role(
            conn, roles.owner, "NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE", done
        )
        _ensure_role(
            conn,
            roles.app,
            "LOGIN NOSUPERUSER NOBYPASSRLS CREATEDB NOCREATEROLE NOINHERIT",
            done,
            password=roles.app_password,
        )
        # The app may SET ROLE to the owner (to migrate and for system work)
        # but never inherits its privileges, so RLS applies to plain queries.
        if conn.info.server_version >= PG16:
            grant = "GRANT {owner} TO {app} WITH INHERIT FALSE, SET TRUE"
        else:
            grant = "GRANT {owner} TO {app}"
        conn.execute(
            sql.SQL(grant).format(owner=sql.Identifier(roles.owner), app=sql.Identifier(roles.app))
        )
        exists = conn.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [roles.database]
        ).fetchone()
        if exists is None:
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(roles.database), sql.Identifier(roles.app)
                )
            )
            done.append(f"created database {roles.database}")
        elif exists[0] != roles.app:
            conn.execute(
                sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                    sql.Identifier(roles.database), sql.Identifier(roles.app)
                )
            )
            done.append(f"made {roles.app} the owner of database {roles.database}")
    db_conninfo = psycopg.conninfo.make_conninfo(admin_conninfo, dbname=roles.database)
    with psycopg.connect(db_conninfo, autocommit=True) as conn:
        grant_schema_to_owner(conn, roles.owner)
    done.append(f"granted schema public of {roles.database} to {roles.owner}")
    return done


def grant_schema_to_owner(conn: psycopg.Connection, owner: str) -> None:
    """Make the owner role the only one that may create or drop objects here.

    Run as a superuser, or as the database owner (the app role, which owns the
    test databases it creates). ``public`` is handed to the owner role: on
    PostgreSQL 16+ the database owner may otherwise DROP any table in it (it
    is implicitly ``pg_database_owner``, the schema's owner). On 15 a NOINHERIT
    database owner can neither hand the schema over nor drop others' tables,
    and its GRANT on ``public`` silently grants nothing unless it acts as
    ``pg_database_owner``; there it grants USAGE and CREATE instead.
    """
    owner_id = sql.Identifier(owner)
    row = conn.execute(
        "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'public'"
    ).fetchone()
    if row and row[0] != owner:
        try:
            conn.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(owner_id))
        except psycopg.errors.InsufficientPrivilege:
            conn.execute("SET ROLE pg_database_owner")
            try:
                conn.execute(
                    sql.SQL("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(owner_id)
                )
                conn.execute("REVOKE CREATE ON SCHEMA public FROM pg_database_owner")
            finally:
                conn.execute("RESET ROLE")
    # Trusted extensions (pgcrypto, pg_trgm, btree_gist) need CREATE on the database.
    conn.execute(
        sql.SQL("GRANT CONNECT, TEMPORARY, CREATE ON DATABASE {} TO {}").format(
            sql.Identifier(conn.info.dbname), owner_id
        )
    )


def _ensure_role(
    conn: psycopg.Connection,
    name: str,
    attributes: str,
    done: list[str],
    password: str | None = None,
) -> None:
    row = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name]).fetchone()
    verb = "ALTER ROLE" if row else "CREATE ROLE"
    statement = sql.SQL(f"{verb} {{}} {attributes}").format(sql.Identifier(name))
    if password:
        statement = sql.SQL("{} PASSWORD {}").format(statement, sql.Literal(password))
    conn.execute(statement)
    if not row:
        done.append(f"created role {name}")
