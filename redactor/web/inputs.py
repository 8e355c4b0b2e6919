"""Request input that no database column could hold, stopped at the door, in one place.

Two things reach a view that SQLite and PostgreSQL treat differently, and each used to end in
a 500 on one engine or the other:

- **Ids beyond the integer column's range.** :class:`DbIntConverter`, which ``create_app``
  installs as the ``int`` converter (so every ``<int:...>`` of every route, present and
  future, is one), only matches ``0 .. 2**31 - 1``, the range of an ``INTEGER`` on PostgreSQL
  (SQLite's driver overflows past 64 bits). Any other value matches no route, so it is a 404
  exactly like an id that does not exist: a caller learns nothing from the difference,
  because there is none.
- **Characters a text column cannot store.** PostgreSQL refuses NUL (U+0000) in ``text`` and
  no UTF-8 column takes an unpaired surrogate. :func:`refuse_unstorable_input` (a
  ``before_request`` hook) answers 400 with a message naming the field for any query
  argument, form field (name or value) or URL part holding one, before any view runs,
  signed in or not. JSON bodies are the API's: each text field it declares is a
  ``redactor.web.api.common.Text``, refused with 422 when it holds one; an imported file's
  name and text are checked file by file by the import service, which reports a NUL with
  its line and offset.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import abort, request
from werkzeug.routing import IntegerConverter, Map

from redactor.models import MAX_ID


def digits_up_to(limit: int) -> str:
    """A regular expression matching exactly the decimal numbers ``0 .. limit`` (ASCII
    digits, leading zeros allowed up to ``limit``'s length)."""
    text = str(limit)
    options = [f"[0-9]{{1,{len(text) - 1}}}"] if len(text) > 1 else []
    for i, digit in enumerate(text):
        if digit != "0":
            rest = len(text) - i - 1
            options.append(f"{text[:i]}[0-{int(digit) - 1}]" + (f"[0-9]{{{rest}}}" if rest else ""))
    options.append(text)
    return "(?:" + "|".join(options) + ")"


class DbIntConverter(IntegerConverter):
    """``<int:name>``: a whole number in ``0 .. MAX_ID``, in ASCII digits.

    The bound is in the regular expression, not only in :meth:`to_python`: a value outside
    then matches no rule at all, so it is a 404 even where another method's rule shares the
    path (Werkzeug would otherwise answer 405), and it never reaches a query that one
    engine would refuse.
    """

    regex = digits_up_to(MAX_ID)

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 0)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def unstorable(value: str) -> bool:
    """True if ``value`` holds a NUL or an unpaired surrogate (no text column stores them)."""
    if "\x00" in value:
        return True
    # Fast path: ASCII (nearly every request) cannot hold a surrogate.
    return not value.isascii() and any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)


def _shown(name: str) -> str:
    # The field's name, made printable: it may itself be what is refused.
    escaped = name.encode("ascii", "backslashreplace").decode("ascii").replace("\x00", "\\x00")
    return escaped if len(escaped) <= 40 else escaped[:39] + "…"


def _first_unstorable(items: Iterable[tuple[str, Any]]) -> str | None:
    for key, value in items:
        if unstorable(key) or (isinstance(value, str) and unstorable(value)):
            return key
    return None


def refuse_unstorable_input() -> None:
    """``before_request``: abort with 400 when a query argument, a form field (its name or
    a value) or a URL part holds a character no text column can store (see the module
    docstring). Uploaded files are not form fields: their names are shown escaped and
    their contents checked by the importer."""
    checks = (
        ("URL", (request.view_args or {}).items()),
        ("query argument", request.args.items(multi=True)),
        ("form field", request.form.items(multi=True)),
    )
    for where, items in checks:
        key = _first_unstorable(items)
        if key is not None:
            what = "address" if where == "URL" else f"{where} {_shown(key)!r}"
            abort(
                400,
                description=(
                    f"The {what} contains a NUL character or an unpaired surrogate, which "
                    "cannot be stored. Remove it and try again."
                ),
            )
