"""The former name of ``manage.py purge_deleted``, kept for existing cron lines."""

from __future__ import annotations

from medtrack.management.commands import purge_deleted


class Command(purge_deleted.Command):
    help = "Same as purge_deleted (its former name). " + purge_deleted.Command.help
