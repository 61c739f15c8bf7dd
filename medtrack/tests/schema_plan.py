"""The user's schema plan (shared/seed/000_…txt), as data the conformance test checks.

Each table lists the plan's columns as (type, default, not_null) in
information_schema spelling; ``default=None`` means the plan gives none. The
plan's unique constraints and indexes are column lists; foreign keys map a
column to (referenced table, ON DELETE action). Later sections add their
tables here as they arrive. Allowed additions (DESIGN.md §B): extra columns,
NOT NULL where the plan has a default, extra indexes and constraints.
"""

from __future__ import annotations

from typing import NamedTuple


class Column(NamedTuple):
    type: str
    default: str | None
    not_null: bool


UUID_PK = Column("uuid", "gen_random_uuid()", True)
TIMESTAMPTZ_NOW = Column("timestamp with time zone", "now()", False)

TABLES: dict[str, dict] = {
    "users": {
        "columns": {
            "id": UUID_PK,
            "email": Column("text", None, True),
            "name": Column("text", None, True),
            "avatar_url": Column("text", None, False),
            "role": Column("text", "'caregiver'::text", True),
            "created_at": TIMESTAMPTZ_NOW,
            "updated_at": TIMESTAMPTZ_NOW,
        },
        "unique": [("email",)],
        "indexes": [("email",)],
        "foreign_keys": {},
    },
    "patients": {
        "columns": {
            "id": UUID_PK,
            "name": Column("text", None, True),
            "dob": Column("date", None, True),
            "gender": Column("text", None, True),
            "allergies": Column("_text", "'{}'::text[]", False),
            "medical_conditions": Column("_text", "'{}'::text[]", False),
            "emergency_contact": Column("jsonb", None, True),
            "created_by": Column("uuid", None, True),
            "created_at": TIMESTAMPTZ_NOW,
            "updated_at": TIMESTAMPTZ_NOW,
            "is_deleted": Column("boolean", "false", False),
        },
        "unique": [("name", "dob")],
        "indexes": [("name", "dob"), ("created_by",)],
        "foreign_keys": {"created_by": ("users", "NO ACTION")},
        "checks": {"gender": ["female", "male", "other"]},
    },
    "patient_caregivers": {
        "columns": {
            "id": UUID_PK,
            "patient_id": Column("uuid", None, True),
            "caregiver_id": Column("uuid", None, True),
            "role": Column("text", None, True),
            "permissions": Column("jsonb", "'{}'::jsonb", False),
            "is_active": Column("boolean", "true", False),
            "accepted_at": Column("timestamp with time zone", None, False),
            "created_at": TIMESTAMPTZ_NOW,
            "updated_at": TIMESTAMPTZ_NOW,
        },
        "unique": [("patient_id", "caregiver_id")],
        "indexes": [("patient_id", "caregiver_id"), ("caregiver_id",)],
        "foreign_keys": {
            "patient_id": ("patients", "CASCADE"),
            "caregiver_id": ("users", "CASCADE"),
        },
        "checks": {"role": ["primary", "secondary", "viewer"]},
    },
    "files": {
        "columns": {
            "id": UUID_PK,
            "patient_id": Column("uuid", None, False),
            "measurement_id": Column("uuid", None, False),
            "log_id": Column("uuid", None, False),
            "file_name": Column("text", None, True),
            "original_name": Column("text", None, False),
            "filename": Column("text", None, False),
            "mime_type": Column("text", None, True),
            "size": Column("bigint", None, False),
            "storage_path": Column("text", None, False),
            "url": Column("text", None, False),
            "metadata": Column("jsonb", "'{}'::jsonb", False),
            "uploaded_by": Column("uuid", None, False),
            "uploaded_at": TIMESTAMPTZ_NOW,
        },
        "unique": [],
        "indexes": [("patient_id",), ("measurement_id",), ("log_id",)],
        "foreign_keys": {
            "patient_id": ("patients", "NO ACTION"),
            "measurement_id": ("measurements", "NO ACTION"),
            "log_id": ("daily_logs", "NO ACTION"),
            "uploaded_by": ("users", "NO ACTION"),
        },
    },
    "file_shares": {
        "columns": {
            "id": UUID_PK,
            "file_id": Column("uuid", None, True),
            "shared_with": Column("uuid", None, True),
            "permissions": Column("jsonb", "'{}'::jsonb", False),
            "shared_by": Column("uuid", None, False),
            "created_at": TIMESTAMPTZ_NOW,
        },
        "unique": [],
        "indexes": [("file_id",), ("shared_with",)],
        "foreign_keys": {
            "file_id": ("files", "CASCADE"),
            "shared_with": ("users", "NO ACTION"),
            "shared_by": ("users", "NO ACTION"),
        },
    },
}

#: Views standing in for plan tables: column -> type.
VIEWS: dict[str, dict[str, str]] = {
    "profiles": {
        "id": "uuid",
        "email": "text",
        "name": "text",
        "avatar_url": "text",
        "role": "text",
        "created_at": "timestamp with time zone",
        "updated_at": "timestamp with time zone",
    },
}
