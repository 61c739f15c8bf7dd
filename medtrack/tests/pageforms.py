"""The forms on a rendered page, read as a browser reads them: what a submit would send.

The reliability tests (double submit, edit conflicts, fuzzing) post what the page
really offers, so a field added to a form is covered without editing a list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class PageForm:
    action: str
    method: str
    #: What a plain submit sends: (name, value) pairs, in page order.
    pairs: list[tuple[str, str]] = field(default_factory=list)
    #: Every field name the form has (checkboxes left unticked included).
    names: list[str] = field(default_factory=list)
    #: The submit buttons' (name, value), which a submit may add.
    buttons: list[tuple[str, str]] = field(default_factory=list)

    def data(self, **overrides: object) -> dict[str, object]:
        """The submit as a dict for the test client (repeated names become lists)."""
        data: dict[str, object] = {}
        for name, value in self.pairs:
            if name in data:
                previous = data[name]
                data[name] = (
                    [*previous, value] if isinstance(previous, list) else [previous, value]
                )
            else:
                data[name] = value
        data.update(overrides)
        return {name: value for name, value in data.items() if value is not None}


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[PageForm] = []
        self._form: PageForm | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._option: tuple[str, bool] | None = None
        self._option_text = ""
        self._textarea: str | None = None
        self._textarea_text = ""

    def _add_name(self, name: str) -> None:
        if self._form is not None and name not in self._form.names:
            self._form.names.append(name)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self._form = PageForm(
                action=a.get("action", ""), method=a.get("method", "get").lower()
            )
            self.forms.append(self._form)
            return
        if self._form is None or ("disabled" in a and tag != "option"):
            return
        name = a.get("name", "")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "image", "button", "reset"):
                self._form.buttons.append((name, a.get("value", "")))
                return
            self._add_name(name)
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._form.pairs.append((name, a.get("value", "on")))
            elif kind != "file":
                self._form.pairs.append((name, a.get("value", "")))
        elif tag == "button" and name:
            self._form.buttons.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._add_name(name)
            self._select, self._select_first, self._select_chosen = name, None, False
            self._select_multiple = "multiple" in a
        elif tag == "option" and self._select is not None:
            self._option = (a.get("value", "\0"), "selected" in a)
            self._option_text = ""
        elif tag == "textarea" and name:
            self._add_name(name)
            self._textarea, self._textarea_text = name, ""

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option_text += data
        if self._textarea is not None:
            self._textarea_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._option is not None and self._form and self._select:
            value, selected = self._option
            value = self._option_text.strip() if value == "\0" else value
            if self._select_first is None:
                self._select_first = value
            if selected:
                self._form.pairs.append((self._select, value))
                self._select_chosen = True
            self._option = None
        elif tag == "select" and self._select is not None and self._form is not None:
            if not self._select_chosen and not self._select_multiple and self._select_first:
                self._form.pairs.append((self._select, self._select_first))
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form.pairs.append((self._textarea, self._textarea_text.removeprefix("\n")))
            self._textarea = None
        elif tag == "form":
            self._form = None


def forms_on(html: str) -> list[PageForm]:
    reader = _Reader()
    reader.feed(html)
    return reader.forms


def main_form(html: str) -> PageForm:
    """The page's form posting to itself with the most fields (not the sign-out button)."""
    posting = [f for f in forms_on(html) if f.method == "post" and f.action in ("", ".")]
    if not posting:
        posting = [f for f in forms_on(html) if f.method == "post"]
    if not posting:
        raise AssertionError("no form posting on this page")
    return max(posting, key=lambda f: len(f.names))
