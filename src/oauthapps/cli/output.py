"""How results reach the terminal: JSON for scripts (``--json``), otherwise tables and lines for people.

Every command hands its result and its human views to :func:`emit` once. User-supplied text (names,
descriptions, domains, emails, collection names, audit fields) may hold terminal control sequences or
bidi overrides that would recolour the terminal, move the cursor or reorder what a person reads, so
the human views show such characters escaped (``\\x1b``, ``\\u202e``) and never read them as Rich
markup. Only the templates written here in the code are markup.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rich.console import Console, RenderableType
from rich.markup import escape as escape_markup
from rich.table import Table
from rich.text import Text

console = Console()
err_console = Console(stderr=True)

# Control characters (C0, DEL, C1), format characters (bidi overrides and isolates, zero-width
# characters, soft hyphen, tags), lone surrogates (undecodable bytes from argv) and the line and
# paragraph separators: none of them should reach a terminal as themselves.
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_SHORT_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def terminal_safe(text: str) -> str:
    """The text with every control, format and separator character written as a Python-style escape."""
    if text.isprintable():  # the common case: nothing to escape (isprintable is stricter than we are)
        return text
    return "".join(_escape_char(ch) if unicodedata.category(ch) in _ESCAPED_CATEGORIES else ch for ch in text)


def _escape_char(ch: str) -> str:
    if ch in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[ch]
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def json_text(result: object) -> str:
    """The JSON scripts read. ``ensure_ascii`` (json's default, kept explicit) writes every
    non-ASCII character, C1 controls and bidi characters included, as a ``\\uXXXX`` escape, and
    json escapes C0 and DEL itself: the text is plain printable ASCII."""
    return json.dumps(result, indent=2, ensure_ascii=True)


@dataclass(frozen=True)
class Message:
    """Lines from a Rich-markup template of ours; every argument is user text, shown escaped."""

    template: str
    args: tuple[object, ...]

    def markup(self) -> str:
        return self.template.format(*(escape_markup(terminal_safe(str(arg))) for arg in self.args))


def message(template: str, *args: object) -> Message:
    """``message("App [bold]{}[/bold]: {}", name, app_id)``: ``{}`` fields take the arguments."""
    return Message(template, args)


def fields(pairs: Mapping[str, object], width: int) -> list[Message]:
    """One ``key  value`` line per pair, keys padded to ``width``."""
    return [message(f"{{:<{width}}} {{}}", key, value) for key, value in pairs.items()]


Cell = str | list[str]
"""A table cell: user text, or a list of them shown one per line."""


@dataclass(frozen=True)
class TableView:
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]

    def renderable(self) -> Table:
        table = Table(*self.columns)
        for row in self.rows:
            table.add_row(*(_cell(cell) for cell in row))
        return table


def table(columns: Sequence[str], rows: Iterable[Sequence[Cell]]) -> TableView:
    """A table whose cells are user text (never markup)."""
    return TableView(tuple(columns), tuple(tuple(row) for row in rows))


def _cell(cell: Cell) -> Text:
    lines = [cell] if isinstance(cell, str) else cell
    return Text("\n".join(terminal_safe(line) for line in lines))


View = Message | TableView


def _renderable(view: View) -> RenderableType:
    if isinstance(view, Message):
        return view.markup()
    return view.renderable()


def emit(result: object, as_json: bool, *views: View) -> None:
    """Print a command's result: as JSON with ``--json``, else its human views in order."""
    if as_json:
        sys.stdout.write(json_text(result) + "\n")
        return
    for view in views:
        console.print(_renderable(view), emoji=False)


def report_error(problem: Message) -> None:
    """One ``error: ...`` line on stderr (stdout stays empty for scripts)."""
    err_console.print("[red]error:[/red] " + problem.markup(), emoji=False)


def plain_lines(lines: Iterable[str]) -> None:
    """Lines people copy from (URLs, credentials, commands): never wrapped, never highlighted."""
    for line in lines:
        safe = terminal_safe(line)
        if console.is_terminal:
            console.print(escape_markup(safe), soft_wrap=True, highlight=False, emoji=False)
        else:
            sys.stdout.write(safe + "\n")
    sys.stdout.flush()
