"""The guestbook sample template's small parts, in this process and without a browser: its env file,
its site URL check, and the pages it shows when it is not connected or cannot reach the server
(the template end to end is tests/e2e/test_template_e2e.py)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from examples.guestbook import app as guestbook
from examples.guestbook.connect import ConnectError, site_parts
from examples.guestbook.settings import Settings, write_env_file


def test_env_file_keeps_other_lines_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("# mine\nGUESTBOOK_ADMIN_PASSWORD='s3cret'\nOAUTHAPPS_CLIENT_ID=old\n")
    path.chmod(0o644)
    write_env_file(path, {"OAUTHAPPS_CLIENT_ID": "new", "OAUTHAPPS_URL": "http://127.0.0.1:8080"})
    assert path.read_text() == "# mine\nGUESTBOOK_ADMIN_PASSWORD='s3cret'\nOAUTHAPPS_CLIENT_ID=new\nOAUTHAPPS_URL=http://127.0.0.1:8080\n"
    assert path.stat().st_mode & 0o777 == 0o600
    settings = Settings.load(path, environ={"OAUTHAPPS_URL": "http://override:1/"})
    assert (settings.admin_password, settings.client_id, settings.oauthapps_url) == ("s3cret", "new", "http://override:1")
    with pytest.raises(ValueError):
        write_env_file(path, {"OAUTHAPPS_CLIENT_ID": "a\nB=c"})


def test_site_url_must_be_an_origin() -> None:
    assert site_parts("http://127.0.0.1:5000/") == ("http://127.0.0.1:5000", "127.0.0.1:5000")
    for bad in ("127.0.0.1:5000", "http://127.0.0.1:5000/app", "ftp://x", "http://u@127.0.0.1:1"):
        with pytest.raises(ConnectError):
            site_parts(bad)


def test_unconnected_template_says_so_and_redirects_only_locally(tmp_path: Path) -> None:
    app = guestbook.create_app(Settings.load(tmp_path / "missing.env", environ={}))
    client = app.test_client()
    answer = client.get("/")
    assert answer.status_code == 503 and b"This site is not connected yet" in answer.data
    for raw, expected in (("/a?b=1", "/a?b=1"), ("//evil.example", "/"), ("https://evil.example/", "/"), ("/\\evil", "/"), (None, "/")):
        assert guestbook.safe_next(raw) == expected


def test_unreachable_server_is_a_page_not_a_traceback(tmp_path: Path) -> None:
    settings = Settings(oauthapps_url="http://127.0.0.1:9", client_id="x", secret_key="k")
    answer = guestbook.create_app(settings, httpx.Client(timeout=2)).test_client().get("/")
    assert answer.status_code == 502 and b"cannot reach its sign-in and data service" in answer.data
