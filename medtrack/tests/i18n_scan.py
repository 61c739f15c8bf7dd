"""Finding user-facing English that the translation machinery would miss: text
left outside ``{% translate %}`` in templates, literals handed to users in Python,
and English words on a page rendered in Spanish (test_translations uses these)."""

from __future__ import annotations

import ast
import html
import re
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.template.base import Lexer, TokenType

ROOT = Path(settings.BASE_DIR)
#: Where our own code is; the rest (the virtualenv, data, vendored files) is not ours.
NOT_OURS = {".venv", "var", "vendor", "node_modules", ".git", "docs", "bench", "examples"}
WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019]+")

# -- Templates ---------------------------------------------------------------------------

#: Attributes people read or hear (screen readers), and button captions.
READ_ATTRIBUTES = re.compile(
    r"\b(?:aria-label|aria-description|aria-valuetext|title|alt|placeholder"
    r"|data-[a-z-]*(?:label|text)|data-too-large|data-failed|data-confirm)"
    r'\s*=\s*"([^"]*)"'
)
BUTTON_VALUE = re.compile(r'<input[^>]*type="(?:submit|button|reset)"[^>]*value="([^"]*)"')
TAG = re.compile(r"<[^>]*>", re.S)
SCRIPT_STYLE_COMMENT = re.compile(r"<(script|style)\b.*?</\1>|<!--.*?-->", re.S)
#: Words a template may show as they are: the name, file kinds.
TEMPLATE_WORDS = {"MedTrack", "PDF", "TXT"}
#: Template blocks whose text is markup, not words (CSS class names).
MARKUP_BLOCKS = {"bodyclass"}


def templates() -> Iterator[Path]:
    for path in sorted(ROOT.rglob("*.html")):
        if not NOT_OURS & set(path.relative_to(ROOT).parts):
            yield path


def _text_outside_translation(source: str) -> str:
    """The template with everything but its literal text blanked out (tags,
    variables and what ``blocktranslate`` holds become "§"), lines kept."""
    pieces: list[str] = []
    translating = skipping = 0
    for token in Lexer(source).tokenize():
        words = token.contents.split()
        name = words[0] if words and token.token_type == TokenType.BLOCK else ""
        if name in ("blocktranslate", "blocktrans"):
            translating += 1
        elif name in ("endblocktranslate", "endblocktrans"):
            translating -= 1
        elif name in ("comment", "verbatim") or (name == "block" and words[1:2] == ["bodyclass"]):
            skipping += 1
        elif name in ("endcomment", "endverbatim") or (name == "endblock" and skipping):
            skipping = max(0, skipping - 1)
        literal = token.token_type == TokenType.TEXT and not translating and not skipping
        pieces.append(token.contents if literal else "§" + "\n" * token.contents.count("\n"))
    return "".join(pieces)


def untranslated_template_text(path: Path) -> list[str]:
    """``file:line: text`` for each piece of English a template shows outside
    the translation tags."""
    text = _text_outside_translation(path.read_text())
    text = SCRIPT_STYLE_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    where = path.relative_to(ROOT)
    found = []
    for pattern in (READ_ATTRIBUTES, BUTTON_VALUE):
        for match in pattern.finditer(text):
            if set(WORD.findall(match.group(1))) - TEMPLATE_WORDS:
                found.append(f"{where}:{text.count(chr(10), 0, match.start()) + 1}: {match[0]}")
    visible = html.unescape(TAG.sub(lambda m: "\n" * m.group(0).count("\n"), text))
    for number, line in enumerate(visible.splitlines(), start=1):
        if set(WORD.findall(line)) - TEMPLATE_WORDS:
            found.append(f"{where}:{number}: {line.strip()}")
    return found


# -- Python ------------------------------------------------------------------------------

#: Keyword arguments whose text reaches a user (forms, models, the admin).
USER_KEYWORDS = {
    "label",
    "help_text",
    "verbose_name",
    "verbose_name_plural",
    "empty_label",
    "empty_value_display",
    "subject",
    "title",
    "placeholder",
}
#: Calls whose first text argument reaches a user.
USER_CALLS = {"ValidationError", "HttpResponse", "HttpResponseBadRequest", "Http404"}
#: Calls with the request first and the text second.
MESSAGE_CALLS = {"success", "error", "info", "warning", "debug", "add_error"}
#: Not user-facing: operators' commands (``manage.py``, English like the rest of
#: the operator's tools), tests and migrations.
NOT_USER_FACING = {"tests", "migrations", "management", "scripts"}


def python_modules() -> Iterator[Path]:
    for path in sorted(ROOT.rglob("*.py")):
        parts = set(path.relative_to(ROOT).parts)
        if not (NOT_OURS | NOT_USER_FACING) & parts and path.name != "conftest.py":
            yield path


def _words(node: ast.expr) -> str:
    """The literal words of a string or f-string (its placeholders left out)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return " ".join(
            part.value
            for part in node.values
            if isinstance(part, ast.Constant) and isinstance(part.value, str)
        )
    return ""


def untranslated_python_text(path: Path) -> list[str]:
    """``file:line: text`` for each literal a module hands to users as it is."""
    where = path.relative_to(ROOT)
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        candidates: list[ast.expr] = []
        if isinstance(node, ast.Call):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else ""
            called = called or getattr(node.func, "id", "")
            if called in USER_CALLS:
                candidates += node.args[:1]
            elif called in MESSAGE_CALLS:
                candidates += node.args[1:2]
            candidates += [k.value for k in node.keywords if k.arg in USER_KEYWORDS]
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in USER_KEYWORDS for t in node.targets
        ):
            candidates.append(node.value)
        for candidate in candidates:
            words = _words(candidate)
            if WORD.search(words):
                found.append(f"{where}:{candidate.lineno}: {words[:80]!r}")
    return found


# -- Rendered pages ----------------------------------------------------------------------

#: Words that are English and never Spanish: one on a Spanish page means text that
#: escaped translation. (Not "no", "me", "he", "a", "era", "total", "sin"...: Spanish too.)
ENGLISH = {
    "the",
    "and",
    "your",
    "you",
    "with",
    "for",
    "this",
    "that",
    "these",
    "those",
    "are",
    "is",
    "was",
    "were",
    "have",
    "had",
    "from",
    "will",
    "would",
    "what",
    "when",
    "which",
    "where",
    "there",
    "here",
    "please",
    "yet",
    "not",
    "any",
    "all",
    "some",
    "none",
    "add",
    "save",
    "edit",
    "delete",
    "cancel",
    "remove",
    "change",
    "show",
    "open",
    "close",
    "back",
    "next",
    "more",
    "new",
    "today",
    "tomorrow",
    "yesterday",
    "day",
    "days",
    "week",
    "weeks",
    "month",
    "months",
    "year",
    "years",
    "hour",
    "hours",
    "every",
    "each",
    "at",
    "of",
    "to",
    "on",
    "by",
    "or",
    "an",
    "it",
    "its",
    "be",
    "been",
    "can",
    "may",
    "must",
    "should",
    "could",
    "who",
    "how",
    "why",
    "our",
    "my",
    "we",
    "they",
    "them",
    "their",
    "his",
    "her",
    "she",
    "him",
    "one",
    "two",
    "three",
    "first",
    "last",
    "time",
    "times",
    "note",
    "notes",
    "file",
    "files",
    "share",
    "shared",
    "team",
    "invited",
    "invitation",
    "dose",
    "doses",
    "taken",
    "missed",
    "skipped",
    "late",
    "due",
    "given",
    "patient",
    "patients",
    "medication",
    "medications",
    "schedule",
    "settings",
    "sign",
    "account",
    "password",
    "log",
    "out",
    "about",
    "need",
    "needed",
    "help",
    "search",
    "filter",
    "download",
    "upload",
    "export",
    "report",
    "calendar",
    "journal",
    "entry",
    "entries",
    "reading",
    "readings",
    "appointment",
    "appointments",
    "reminder",
    "reminders",
    "notification",
    "notifications",
    "activity",
    "access",
    "emergency",
    "caregiver",
    "caregivers",
    "viewer",
    "primary",
    "done",
    "yes",
    "ok",
    "undo",
    "keep",
    "stay",
    "leave",
    "left",
    "right",
    "only",
    "also",
    "than",
    "then",
    "just",
    "still",
    "again",
    "now",
    "soon",
    "ago",
    "before",
    "after",
    "since",
    "until",
    "while",
    "during",
    "without",
    "into",
    "over",
    "under",
}

_BODY = re.compile(r"<body\b.*?</body>", re.S)
_SAID = re.compile(r'\b(?:aria-label|title|alt|placeholder)="([^"]*)"')
_BUTTON = re.compile(r'<input[^>]*type="(?:submit|button)"[^>]*value="([^"]*)"')
_OPTION = re.compile(r'<option value="([^"]*)"[^>]*>([^<]*)</option>')
#: A word, in any alphabet; "1Password" is not "Password".
_PAGE_WORD = re.compile(r"(?<![\w'\u2019])[^\W\d_][\w'\u2019]*")


def _identifier_option(match: re.Match[str]) -> str:
    """Options shown as their own value, identifiers (time zones: "America/New York")."""
    value, text = match.group(1), html.unescape(match.group(2)).strip()
    return " " if text in (value, value.replace("_", " ")) else match.group(0)


_ADDRESS = re.compile(r"\bhttps?://\S+")


def page_text(document: str) -> str:
    """What a person reads or hears on a page (text and the attributes read out)."""
    body = _BODY.search(document)
    text = SCRIPT_STYLE_COMMENT.sub(" ", body.group(0) if body else document)
    text = _OPTION.sub(_identifier_option, text)
    said = " ".join(_SAID.findall(text) + _BUTTON.findall(text))
    return _ADDRESS.sub(" ", html.unescape(TAG.sub(" ", text) + " " + said))


def english_on(document: str, allowed: set[str]) -> list[str]:
    """The English words on a page, but those ``allowed`` (names and data), each
    with the text around it."""
    allowed_lower = {word.lower() for word in allowed}
    text = " ".join(page_text(document).split())
    found: dict[str, str] = {}
    for match in _PAGE_WORD.finditer(text):
        word = match.group(0)
        if word.lower() in ENGLISH and word.lower() not in allowed_lower:
            found.setdefault(word, text[max(0, match.start() - 40) : match.end() + 40])
    return [f"{word!r} in “{around}”" for word, around in sorted(found.items())]
