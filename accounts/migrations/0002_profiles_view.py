"""The plan's ``profiles`` table, consolidated as a view over ``users`` (docs/schema.md)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.RunSQL(
            sql="""
                CREATE VIEW profiles AS
                SELECT id, email, name, avatar_url, role, created_at, updated_at FROM users;
                COMMENT ON VIEW profiles IS
                    'The schema plan''s profiles table, consolidated over users (read-only).';
            """,
            reverse_sql="DROP VIEW profiles;",
        ),
    ]
