"""``makemessages`` without fuzzy matching: a new string arrives untranslated
(and the catalogue check says so) instead of carrying a wrong guess from a
similar one, marked fuzzy, that gettext would then ignore."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
