from django.db import migrations

from medtrack import rls


class Migration(migrations.Migration):
    dependencies = [("notifications", "0003_notification_preferences")]

    operations = [
        rls.personal("notification_preferences"),
        rls.history(
            "notifications_notificationpreferencesevent", select="user_id = rls_user_id()"
        ),
    ]
