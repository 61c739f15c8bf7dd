from django.db import migrations

from medtrack import rls


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_apitoken"), ("caregivers", "0003_row_level_security")]

    operations = [rls.personal("api_tokens")]
