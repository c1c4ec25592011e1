"""User text never reaches a terminal as control sequences: the CLI's human output shows control,
format and bidi characters escaped, and its JSON stays valid, printable ASCII.

The end-to-end part runs the console script as a real subprocess on a fresh SQLite file (the
escaping is in the output layer, the same for every engine); the unit part checks the escaping
rule itself.
"""

from __future__ import annotations

import io
import json
import unicodedata
from collections.abc import Iterator

import pytest
from rich.console import Console
from rich.text import Text

from oauthapps.cli.output import json_text, message, terminal_safe

from ..support.servers import fresh_database
from .test_cli import Result, base_env, collect, spawn

# CSI colour codes (7-bit ESC and 8-bit C1), an OSC window title, DEL, a right-to-left override,
# Rich markup and an emoji code: each would change what a person sees if printed as itself.
HOSTILE = "Evil \x1b[31mred\x1b[0m \x9b2J \x1b]0;pwned\x07 \x7f \u202eexe.txt [b]x[/b] :smile:"
HOSTILE_SHOWN = r"Evil \x1b[31mred\x1b[0m \x9b2J \x1b]0;pwned\x07 \x7f \u202eexe.txt [b]x[/b] :smile:"


def assert_terminal_safe(text: str) -> None:
    """Nothing but printable text and line breaks."""
    unsafe = [ch for ch in text if ch != "\n" and unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Zl", "Zp"}]
    assert unsafe == [], text


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Result]]:
    tmp = tmp_path_factory.mktemp("cli-hostile")
    env, wide = base_env(tmp), {**base_env(tmp), "COLUMNS": "250"}
    with fresh_database("sqlite", tmp) as url:
        r: dict[str, Result] = {}

        def go(calls: dict[str, tuple[list[str], dict[str, str]]]) -> None:
            r.update(collect({name: (args, spawn([*args, "--database", url], e, tmp)) for name, (args, e) in calls.items()}))

        go({"project": (["projects", "create", HOSTILE, "--json"], env)})
        project = r["project"].json["projectId"]
        go(
            {
                "create": (["oauth-apps", "create", "--project", project, "--name", HOSTILE, "--description", "one\ntwo", "--json"], env),
                "create_human": (["oauth-apps", "create", "--project", project, "--name", HOSTILE], wide),
                "projects_human": (["projects", "list"], wide),
                "err_project": (["oauth-apps", "list", "--project", HOSTILE], wide),
            }
        )
        app_id = r["create"].json["oAuthApp"]["id"]
        go(
            {
                "list_human": (["oauth-apps", "list", "--project", project], wide),
                "show_human": (["oauth-apps", "show", app_id, "--project", project], wide),
                "show_json": (["oauth-apps", "show", app_id, "--project", project, "--json"], env),
                "update_human": (["oauth-apps", "update", app_id, "--project", project, "--name", HOSTILE], wide),
            }
        )
        yield r


def test_table_shows_control_and_bidi_characters_escaped(runs: dict[str, Result]) -> None:
    for name in ("list_human", "projects_human"):
        result = runs[name]
        assert result.rc == 0, result
        assert HOSTILE_SHOWN in result.out, result  # escaped, and markup and emoji codes shown literally
        assert_terminal_safe(result.out)


def test_human_lines_show_user_text_escaped(runs: dict[str, Result]) -> None:
    show = runs["show_human"]
    assert show.rc == 0, show
    assert_terminal_safe(show.out)
    lines = dict(show.parsed)
    assert lines["name"] == HOSTILE_SHOWN
    assert lines["description"] == r"one\ntwo"  # one line: user text cannot forge lines either
    for name in ("create_human", "update_human"):
        assert runs[name].rc == 0, runs[name]
        assert_terminal_safe(runs[name].out)


def test_error_messages_show_user_text_escaped(runs: dict[str, Result]) -> None:
    result = runs["err_project"]
    assert result.rc == 1 and result.out == "", result
    assert result.error == f"error: No project {HOSTILE_SHOWN} (PROJECT_NOT_FOUND)"
    assert_terminal_safe(result.err)


def test_json_escapes_every_control_and_bidi_character(runs: dict[str, Result]) -> None:
    for name in ("project", "create", "show_json"):
        out = runs[name].out
        assert out.isascii()
        assert_terminal_safe(out)
        assert out == json.dumps(json.loads(out), indent=2) + "\n"  # the same formatting as ever
    created = runs["create"].json["oAuthApp"]
    assert created["name"] == HOSTILE and created["description"] == "one\ntwo"  # stored and returned intact
    assert runs["show_json"].json["oAuthApp"]["name"] == HOSTILE
    for escape in (r"\u001b[31m", r"\u009b2J", r"\u0007", r"\u007f", r"\u202e"):
        assert escape in runs["create"].out


# --- the escaping rule ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x00", r"\x00"),
        ("\x1b", r"\x1b"),
        ("\x7f", r"\x7f"),
        ("\x85", r"\x85"),
        ("\x9b", r"\x9b"),
        ("\t\n\r", r"\t\n\r"),
        ("\u061c", r"\u061c"),  # Arabic letter mark
        ("\u200b\u200e\u200f", r"\u200b\u200e\u200f"),  # zero-width space, LRM, RLM
        ("\u202a\u202e", r"\u202a\u202e"),  # bidi embedding and override
        ("\u2066\u2069", r"\u2066\u2069"),  # bidi isolates
        ("\u2028\u2029", r"\u2028\u2029"),  # line and paragraph separators
        ("\ufeff", r"\ufeff"),
        ("\U000e0041", r"\U000e0041"),  # a tag character
        ("\udc80", r"\udc80"),  # an undecodable argv byte (surrogateescape)
    ],
)
def test_terminal_safe_escapes(raw: str, shown: str) -> None:
    assert terminal_safe(f"a{raw}b") == f"a{shown}b"


def test_terminal_safe_keeps_ordinary_text() -> None:
    for text in ("Site one", "Café naïve — “quoted” 日本語 👍", "[b]x[/b] :smile: \\ back", "non\u00a0breaking\u3000space", ""):
        assert terminal_safe(text) == text


def test_json_text_is_json_dumps_and_ascii() -> None:
    data = {"name": "Café \x1b[2J \u202e \x9b", "list": [1, None, True], "nested": {"a": "b"}}
    text = json_text(data)
    assert text == json.dumps(data, indent=2)
    assert text.isascii()
    assert json.loads(text) == data


def test_message_shows_arguments_literally_and_templates_as_markup() -> None:
    out = io.StringIO()
    console = Console(file=out, width=200, force_terminal=False)
    console.print(Text.from_markup(message("App [bold]{}[/bold]: {}", "[red]x[/red] \x1b[1m\\", "id-1").markup()))
    assert out.getvalue() == "App [red]x[/red] \\x1b[1m\\: id-1\n"
