from django.db import migrations

from medtrack import rls


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [rls.insert_only("access_log")]
