"""The database cache's table (settings.CACHES): rate limits shared by every app host.

``createcachetable`` inside the migration, so it runs as the owner role like
every other table; the app role gets DML by the schema's default privileges.
"""

from django.core.management import call_command
from django.db import migrations


def create(apps, schema_editor) -> None:
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


def drop(apps, schema_editor) -> None:
    schema_editor.execute("DROP TABLE IF EXISTS django_cache")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_api_tokens_row_level_security")]

    operations = [migrations.RunPython(create, drop)]
