"""The ``oauthapps`` console script, run as a real subprocess against a fresh SQLite file and a fresh
PostgreSQL database.

Each CLI call costs about a second of CPU (interpreter start-up, imports, migration check), so a
module-scoped scenario per engine makes every call once, in dependency-ordered batches whose calls
run concurrently (and the two engines' scenarios run side by side); the tests below assert on what
the calls printed and on what they left in the database, read through the store's own functions.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from oauthapps.domain import credentials
from oauthapps.domain.scopes import KNOWN_SCOPES, OAUTH_APP_MANAGE, OAUTH_APP_READ
from oauthapps.services.tenancy import DEMO_APP, DEMO_PROJECT
from oauthapps.store import tenancy as tenancy_repo
from oauthapps.store.database import Database
from oauthapps.store.schema import installations, platform_apps, projects, signing_keys

from ..support.servers import KEY_ENCRYPTION_ENV, fresh_database

USER = "cli-tester"
DEMO_KEYS = ["projectId", "apiKey", "appId", "appSecret", "instanceId"]
WIRE_KEYS = {
    "id",
    "createdDate",
    "updatedDate",
    "name",
    "description",
    "allowedRedirectUris",
    "allowedRedirectDomains",
    "allowedDomains",
    "allowSecretGeneration",
    "applicationType",
    "technology",
    "wixPagesDomainsMappings",
    "refreshTokenRotation",
    "requireExactRedirectUri",
}
AUDIT_KEYS = {"id", "createdDate", "oAuthAppId", "action", "actorType", "actorId", "fields"}
LONG_NAME = "x" * 300


@dataclass
class Result:
    args: list[str]
    rc: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        assert self.rc == 0, self
        return json.loads(self.out)

    @property
    def parsed(self) -> list[tuple[str, str]]:
        """Human ``key  value`` lines."""
        assert self.rc == 0, self
        return [tuple(line.split(None, 1)) for line in self.out.strip().splitlines()]  # type: ignore[misc]

    @property
    def error(self) -> str:
        """stderr with line wrapping undone."""
        return " ".join(self.err.split())

    def __str__(self) -> str:
        return f"oauthapps {' '.join(self.args)} -> {self.rc}\nstdout: {self.out}\nstderr: {self.err}"


def base_env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OAUTHAPPS_") and k != "COLUMNS"}
    return {**env, "USER": USER, "OAUTHAPPS_DATA_DIR": str(tmp / "data"), **KEY_ENCRYPTION_ENV, **extra}


def spawn(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "oauthapps.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=cwd,
    )


def collect(procs: dict[str, tuple[list[str], subprocess.Popen[str]]]) -> dict[str, Result]:
    out: dict[str, Result] = {}
    for name, (args, proc) in procs.items():
        stdout, stderr = proc.communicate(timeout=120)
        out[name] = Result(args, proc.returncode, stdout, stderr)
    return out


@dataclass
class Scenario:
    kind: str
    url: str
    r: dict[str, Result]

    @property
    def project(self) -> str:
        return str(self.r["project"].json["projectId"])

    @property
    def latest_demo(self) -> dict[str, str]:
        return dict(self.r["demo3"].parsed) if "demo3" in self.r else self.r["demo2"].json


def run_scenario(kind: str, url: str, tmp: Path) -> Scenario:
    """Core calls run on every engine. Extras (human output, argument checks that never reach the
    database differently) run on SQLite only, to keep the file fast."""
    env = base_env(tmp)
    full = kind == "sqlite"
    r: dict[str, Result] = {}

    def go(core: dict[str, list[str]], extra: dict[str, list[str]] | None = None, wide: tuple[str, ...] = ()) -> None:
        calls = {**core, **(extra if full and extra else {})}
        r.update(
            collect(
                {
                    name: (args, spawn([*args, "--database", url], {**env, "COLUMNS": "250"} if name in wide else env, tmp))
                    for name, args in calls.items()
                }
            )
        )

    go({"demo1": ["demo", "--json"]})  # alone: it also creates the schema
    demo = r["demo1"].json
    go(
        {
            "demo2": ["demo", "--json"],
            "project": ["projects", "create", "CLI project", "--json"],
            "app": [
                "apps",
                "create",
                "CLI app",
                "--scope",
                OAUTH_APP_MANAGE,
                "--scope",
                OAUTH_APP_READ,
                "--scope",
                OAUTH_APP_MANAGE,
                "--json",
            ],
            "rotate1": ["keys", "rotate", "--json"],
            "err_app_name": ["apps", "create", LONG_NAME, "--scope", OAUTH_APP_READ, "--json"],
            "err_list_project": ["oauth-apps", "list", "--project", "nope", "--json"],
            "err_install_project": ["apps", "install", demo["appId"], "--project", "nope", "--json"],
        },
        {
            "project_human": ["projects", "create", "Human [/b] project"],
            "app_human": ["apps", "create", "Human app", "--scope", OAUTH_APP_READ],
            "err_scope": ["apps", "create", "Bad app", "--scope", OAUTH_APP_READ, "--scope", "SCOPE.NOPE", "--json"],
            "err_markup": ["oauth-apps", "list", "--project", "[/x]"],
            "err_install_app": ["apps", "install", "nope", "--project", demo["projectId"], "--json"],
        },
    )
    project, app_id = r["project"].json["projectId"], r["app"].json["appId"]
    go(
        {
            "install": ["apps", "install", app_id, "--project", project, "--json"],
            "rotate2": ["keys", "rotate"],
            "create1": [
                "oauth-apps",
                "create",
                "--project",
                project,
                "--name",
                "Site one",
                "--description",
                "first",
                "--redirect-uri",
                "https://shop.example.com/cb",
                "--domain",
                "Shop.Example.com",
                "--domain",
                "shop.example.com",
                "--json",
            ],
            "create2": ["oauth-apps", "create", "--project", project, "--name", "Site two", "--json"],
            "create3": ["oauth-apps", "create", "--project", project, "--name", "Site three"],
        },
        {
            "demo3": ["demo"],
            "projects": ["projects", "list", "--json"],
            "err_short": ["oauth-apps", "create", "--project", project, "--name", "a", "--json"],
            "err_domain": ["oauth-apps", "create", "--project", project, "--name", "Okay", "--domain", "https://bad.example.com", "--json"],
        },
    )
    app1, app2 = r["create1"].json["oAuthApp"]["id"], r["create2"].json["oAuthApp"]["id"]
    app3 = re.search(r"Client ID: (\S+)", r["create3"].out).group(1)  # type: ignore[union-attr]
    go(
        {
            "install_again": ["apps", "install", app_id, "--project", project, "--json"],
            "show1": ["oauth-apps", "show", app1, "--project", project, "--json"],
            "delete2": ["oauth-apps", "delete", app2, "--project", project, "--json"],
        },
        {
            "show1_human": ["oauth-apps", "show", app1, "--project", project],
            "err_show_project": ["oauth-apps", "show", app1, "--project", "nope", "--json"],
            "err_show_other_project": ["oauth-apps", "show", app1, "--project", demo["projectId"], "--json"],
            "err_update_app": ["oauth-apps", "update", "no-such-app", "--project", project, "--name", "Xy", "--json"],
            "err_update_domain": [
                "oauth-apps",
                "update",
                app1,
                "--project",
                project,
                "--name",
                "Never",
                "--domain",
                "bad domain",
                "--json",
            ],
        },
    )
    go(
        {
            "update1": [
                "oauth-apps",
                "update",
                app1,
                "--project",
                project,
                "--name",
                "Site one renamed",
                "--domain",
                "new.example.com",
                "--json",
            ],
            "update3_human": ["oauth-apps", "update", app3, "--project", project, "--description", "third"],
        },
        {"err_delete_again": ["oauth-apps", "delete", app2, "--project", project, "--json"]},
    )
    go(
        {
            "update_nothing": ["oauth-apps", "update", app1, "--project", project, "--json"],
            "list": ["oauth-apps", "list", "--project", project, "--json"],
            "list_page": ["oauth-apps", "list", "--project", project, "--limit", "1", "--offset", "1", "--json"],
            "audit": ["audit", "--project", project, "--json"],
            "audit_app": ["audit", "--project", project, "--app", app1, "--json"],
            "show1_after": ["oauth-apps", "show", app1, "--project", project, "--json"],
        },
        {
            "list_human": ["oauth-apps", "list", "--project", project],
            "audit_human": ["audit", "--project", project],
        },
        wide=("list_human", "audit_human"),
    )
    r["_app3"] = Result([], 0, app3, "")
    return Scenario(kind, url, r)


@pytest.fixture(scope="module")
def scenarios(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Scenario]]:
    """Runs the scenario of every engine the selected tests need, concurrently (each one's
    batches leave a core idle now and then), and hands each out when it is done."""
    needed = set()
    for item in request.session.items:
        if getattr(item, "module", None) is request.module:
            callspec = getattr(item, "callspec", None)
            if callspec is not None and "sc" in callspec.params:
                needed.add(callspec.params["sc"])
            if "sq" in getattr(item, "fixturenames", ()):
                needed.add("sqlite")
    lock = threading.Lock()
    with ExitStack() as stack, ThreadPoolExecutor(max_workers=2) as pool:

        def start(kind: str) -> Scenario:
            tmp = tmp_path_factory.mktemp(f"cli-{kind}")
            with lock:
                url = stack.enter_context(fresh_database(kind, tmp))  # may skip (or fail in CI)
            return run_scenario(kind, url, tmp)

        futures: dict[str, Future[Scenario]] = {}

        def get(kind: str) -> Scenario:
            if not futures:
                for k in sorted(needed | {kind}, reverse=True):  # sqlite, the longer one, first
                    futures[k] = pool.submit(start, k)
            return futures[kind].result()

        yield get


@pytest.fixture(params=["sqlite", "postgresql"])
def sc(request: pytest.FixtureRequest, scenarios: Callable[[str], Scenario]) -> Scenario:
    """The scenario's core calls, on each engine."""
    return scenarios(request.param)


@pytest.fixture
def sq(scenarios: Callable[[str], Scenario]) -> Scenario:
    """The full scenario (core and extra calls), on SQLite."""
    return scenarios("sqlite")


def in_db(url: str, work: Any) -> Any:
    async def main() -> Any:
        db = Database.open(url)
        try:
            async with db.transaction() as conn:
                return await work(conn)
        finally:
            await db.close()

    return asyncio.run(main())


def api_key_project(url: str, key: str) -> str | None:
    """What authenticating with this API key finds: the project it belongs to, or None."""

    async def work(conn: Any) -> str | None:
        found = await tenancy_repo.find_api_key(conn, credentials.hash_secret(key))
        return found.project_id if found else None

    return in_db(url, work)  # type: ignore[no-any-return]


def platform_app(url: str, app_id: str) -> tenancy_repo.PlatformApp:
    async def work(conn: Any) -> tenancy_repo.PlatformApp | None:
        return await tenancy_repo.get_platform_app(conn, app_id)

    app = in_db(url, work)
    assert app is not None
    return app  # type: ignore[no-any-return]


def assert_failed(result: Result, *messages: str) -> None:
    assert result.rc == 1, result
    assert result.out == "", result  # nothing on stdout for scripts to mistake for a result
    assert "Traceback" not in result.err, result
    assert result.error.startswith("error: "), result
    for message in messages:
        assert message in result.error, result


# --- demo -------------------------------------------------------------------------------------


def test_demo_json_keys_and_credential_shapes(sc: Scenario) -> None:
    for name in ("demo1", "demo2"):
        data = sc.r[name].json
        assert list(data) == DEMO_KEYS
        assert data["apiKey"].startswith(credentials.API_KEY_PREFIX) and len(data["apiKey"]) == 4 + 43
        assert data["appSecret"].startswith(credentials.APP_SECRET_PREFIX) and len(data["appSecret"]) == 4 + 43
        assert sc.r[name].err == ""


def test_demo_is_idempotent_and_reissues_secrets(sc: Scenario) -> None:
    runs = [sc.r["demo1"].json, sc.r["demo2"].json]
    if "demo3" in sc.r:
        runs.append(sc.latest_demo)
    latest = runs[-1]
    for key in ("projectId", "appId", "instanceId"):
        assert len({run[key] for run in runs}) == 1, key
    for key in ("apiKey", "appSecret"):
        assert len({run[key] for run in runs}) == len(runs), key

    # Only the newest API key and app secret work; the entities exist once.
    for old in runs[:-1]:
        assert api_key_project(sc.url, old["apiKey"]) is None
    assert api_key_project(sc.url, latest["apiKey"]) == latest["projectId"]
    app = platform_app(sc.url, latest["appId"])
    assert app.name == DEMO_APP and app.scopes == [OAUTH_APP_MANAGE]
    assert credentials.secret_matches(latest["appSecret"], app.secret_hash)
    for old in runs[:-1]:
        assert not credentials.secret_matches(old["appSecret"], app.secret_hash)

    async def counts(conn: Any) -> tuple[int, int, list[Any]]:
        n_projects = (await conn.execute(select(func.count()).select_from(projects).where(projects.c.name == DEMO_PROJECT))).scalar_one()
        n_apps = (await conn.execute(select(func.count()).select_from(platform_apps).where(platform_apps.c.name == DEMO_APP))).scalar_one()
        rows = list(await conn.execute(select(installations).where(installations.c.app_id == latest["appId"])))
        return n_projects, n_apps, rows

    n_projects, n_apps, inst = in_db(sc.url, counts)
    assert (n_projects, n_apps) == (1, 1)
    assert [(i.id, i.project_id, list(i.scopes)) for i in inst] == [(latest["instanceId"], latest["projectId"], [OAUTH_APP_MANAGE])]


def test_demo_human_output_shows_every_credential(sq: Scenario) -> None:
    lines = sq.r["demo3"].parsed
    assert [key for key, _ in lines] == DEMO_KEYS
    values = dict(lines)
    assert values["projectId"] == sq.r["demo1"].json["projectId"]
    assert values["apiKey"].startswith(credentials.API_KEY_PREFIX) and len(values["apiKey"]) == 47
    assert values["appSecret"].startswith(credentials.APP_SECRET_PREFIX) and len(values["appSecret"]) == 47


# --- projects, apps, installations ------------------------------------------------------------


def test_projects_create_json_and_key_works(sc: Scenario) -> None:
    data = sc.r["project"].json
    assert list(data) == ["projectId", "apiKey"]
    assert data["apiKey"].startswith(credentials.API_KEY_PREFIX)
    assert api_key_project(sc.url, data["apiKey"]) == data["projectId"]


def test_projects_create_human_output_shows_the_key(sq: Scenario) -> None:
    result = sq.r["project_human"]
    assert result.rc == 0, result
    # Rich markup in a name is printed literally (it used to crash after creating the project,
    # losing the key that is shown only once).
    assert "Project Human [/b] project: " in result.out
    project_id = re.search(r"project: (\S+)", result.out).group(1)  # type: ignore[union-attr]
    key = re.search(r"API key \(shown once\): (oak_\S+)", result.out).group(1)  # type: ignore[union-attr]
    assert api_key_project(sq.url, key) == project_id


def test_projects_list_json(sq: Scenario) -> None:
    listed = sq.r["projects"].json
    assert all(list(p) == ["projectId", "name"] for p in listed)
    by_id = {p["projectId"]: p["name"] for p in listed}
    assert by_id[sq.project] == "CLI project"
    assert by_id[sq.r["demo1"].json["projectId"]] == DEMO_PROJECT
    assert "Human [/b] project" in by_id.values()
    assert "oak_" not in sq.r["projects"].out


def test_apps_create_json_dedupes_scopes(sc: Scenario) -> None:
    data = sc.r["app"].json
    assert list(data) == ["appId", "appSecret"]
    assert data["appSecret"].startswith(credentials.APP_SECRET_PREFIX)
    app = platform_app(sc.url, data["appId"])
    assert app.name == "CLI app"
    assert app.scopes == [OAUTH_APP_MANAGE, OAUTH_APP_READ]
    assert credentials.secret_matches(data["appSecret"], app.secret_hash)


def test_apps_create_human_output_shows_the_secret(sq: Scenario) -> None:
    result = sq.r["app_human"]
    assert result.rc == 0, result
    app_id = re.search(r"App Human app: (\S+)", result.out).group(1)  # type: ignore[union-attr]
    secret = re.search(r"App secret \(shown once\): (oaa_\S+)", result.out).group(1)  # type: ignore[union-attr]
    assert credentials.secret_matches(secret, platform_app(sq.url, app_id).secret_hash)


def test_apps_install_chains_and_is_idempotent(sc: Scenario) -> None:
    first, again = sc.r["install"].json, sc.r["install_again"].json
    assert list(first) == ["instanceId"]
    assert first == again

    async def work(conn: Any) -> tenancy_repo.Installation | None:
        return await tenancy_repo.get_installation(conn, first["instanceId"])

    inst = in_db(sc.url, work)
    assert inst is not None
    assert (inst.app_id, inst.project_id) == (sc.r["app"].json["appId"], sc.project)
    assert inst.scopes == [OAUTH_APP_MANAGE, OAUTH_APP_READ]


def test_apps_errors(sc: Scenario) -> None:
    # A name longer than the column: a clear error on both engines (PostgreSQL used to crash).
    assert_failed(sc.r["err_app_name"], "name: must be 1 to 256 characters")
    assert_failed(sc.r["err_install_project"], "No project nope (PROJECT_NOT_FOUND)")

    async def names(conn: Any) -> list[str]:
        return [row.name for row in await conn.execute(select(platform_apps.c.name))]

    made = in_db(sc.url, names)
    assert LONG_NAME not in made and "Bad app" not in made


def test_apps_errors_unknown_scope_and_app(sq: Scenario) -> None:
    assert_failed(sq.r["err_scope"], "scope: unknown scope 'SCOPE.NOPE'; known: " + ", ".join(sorted(KNOWN_SCOPES)))
    assert "unknown scope 'SCOPE.OAUTH_APP.READ'" not in sq.r["err_scope"].error
    assert_failed(sq.r["err_install_app"], "No app nope (APP_NOT_FOUND)")


# --- signing keys -----------------------------------------------------------------------------


def test_keys_rotate(sc: Scenario) -> None:
    kid1 = sc.r["rotate1"].json
    assert list(kid1) == ["kid"]
    assert re.fullmatch(r"[0-9a-f]{16}", kid1["kid"])
    human = sc.r["rotate2"]
    assert human.rc == 0, human
    kid2 = re.search(r"New signing key ([0-9a-f]{16})", human.out).group(1)  # type: ignore[union-attr]
    assert kid2 != kid1["kid"]

    async def keys(conn: Any) -> dict[str, Any]:
        return {row.kid: row.retired_at for row in await conn.execute(select(signing_keys))}

    stored = in_db(sc.url, keys)
    assert stored[kid2] is None  # the newest key signs
    assert stored[kid1["kid"]] is not None  # the previous one is retired but still published
    assert [kid for kid, retired in stored.items() if retired is None] == [kid2]


# --- OAuth apps -------------------------------------------------------------------------------


def test_oauth_apps_create_json_prints_the_secret_once(sc: Scenario) -> None:
    data = sc.r["create1"].json
    assert list(data) == ["oAuthApp"]
    app = data["oAuthApp"]
    assert set(app) == WIRE_KEYS | {"secret"}
    assert app["secret"].startswith(credentials.OAUTH_APP_SECRET_PREFIX) and len(app["secret"]) == 4 + 43
    assert app["name"] == "Site one" and app["description"] == "first"
    assert app["allowedRedirectUris"] == ["https://shop.example.com/cb"]
    assert app["allowedRedirectDomains"] == app["allowedDomains"] == ["shop.example.com"]  # normalised, deduped
    assert app["createdDate"] == app["updatedDate"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", app["createdDate"])
    minimal = sc.r["create2"].json["oAuthApp"]
    assert minimal["allowedRedirectUris"] == [] and minimal["description"] == ""
    assert minimal["secret"] != app["secret"]


def test_oauth_apps_create_human_output(sc: Scenario) -> None:
    result = sc.r["create3"]
    assert result.rc == 0, result
    app3 = sc.r["_app3"].out
    assert f"OAuth app {app3} created." in result.out
    assert re.search(r"Secret \(shown once\): oas_[A-Za-z0-9_-]{43}$", result.out, re.MULTILINE)


def test_oauth_apps_show_never_prints_the_secret(sc: Scenario) -> None:
    created = sc.r["create1"].json["oAuthApp"]
    shown = sc.r["show1"].json
    assert list(shown) == ["oAuthApp"]
    assert set(shown["oAuthApp"]) == WIRE_KEYS
    assert shown["oAuthApp"] == {k: v for k, v in created.items() if k != "secret"}
    for name in (
        "show1",
        "show1_after",
        "list",
        "list_page",
        "update1",
        "update_nothing",
        "audit",
        "audit_app",
        "show1_human",
        "list_human",
        "audit_human",
    ):
        if name in sc.r:
            assert "oas_" not in sc.r[name].out, name


def test_oauth_apps_show_human(sq: Scenario) -> None:
    created = sq.r["create1"].json["oAuthApp"]
    human = sq.r["show1_human"]
    assert human.rc == 0, human
    assert re.search(rf"^id\s+{created['id']}$", human.out, re.MULTILINE)
    assert re.search(r"^name\s+Site one$", human.out, re.MULTILINE)
    assert re.search(r"^description\s+first$", human.out, re.MULTILINE)


def test_oauth_apps_update_changes_only_the_given_fields(sc: Scenario) -> None:
    before = sc.r["show1"].json["oAuthApp"]
    after = sc.r["update1"].json["oAuthApp"]
    assert list(sc.r["update1"].json) == ["oAuthApp"]
    assert set(after) == WIRE_KEYS
    assert after["name"] == "Site one renamed"
    assert after["allowedRedirectDomains"] == after["allowedDomains"] == ["new.example.com"]
    changed = {k for k in after if after[k] != before[k]}
    assert changed == {"name", "allowedRedirectDomains", "allowedDomains", "updatedDate"}
    assert after["updatedDate"] > before["updatedDate"]
    # An update with no options changes nothing (not even updatedDate) and prints the app.
    assert sc.r["update_nothing"].json["oAuthApp"] == after
    assert sc.r["show1_after"].json["oAuthApp"] == after
    human = sc.r["update3_human"]
    assert human.rc == 0, human
    assert human.out.strip() == f"OAuth app {sc.r['_app3'].out} updated: description"


def test_oauth_apps_delete(sc: Scenario) -> None:
    assert sc.r["delete2"].json == {}
    listed_ids = [a["id"] for a in sc.r["list"].json["oAuthApps"]]
    assert sc.r["create2"].json["oAuthApp"]["id"] not in listed_ids


def test_oauth_apps_list(sc: Scenario) -> None:
    data = sc.r["list"].json
    assert list(data) == ["oAuthApps", "total"]
    apps = data["oAuthApps"]
    assert data["total"] == 2
    assert all(set(a) == WIRE_KEYS for a in apps)
    assert {a["id"] for a in apps} == {sc.r["create1"].json["oAuthApp"]["id"], sc.r["_app3"].out}
    # Newest first, and paging takes the same order.
    dates = [a["createdDate"] for a in apps]
    assert dates == sorted(dates, reverse=True)
    assert sc.r["list_page"].json == {"oAuthApps": [apps[1]], "total": 2}


def test_oauth_apps_list_human(sq: Scenario) -> None:
    human = sq.r["list_human"]
    assert human.rc == 0, human
    for app in sq.r["list"].json["oAuthApps"]:
        assert app["id"] in human.out and app["name"] in human.out
    assert "new.example.com" in human.out
    assert human.out.rstrip().endswith("2 of 2")


def test_oauth_apps_errors(sq: Scenario) -> None:
    assert_failed(sq.r["err_short"], "oAuthApp.name: must be at least 2 characters")
    assert_failed(sq.r["err_domain"], "oAuthApp.allowedRedirectDomains[0]: must be a host name without a scheme")
    assert_failed(sq.r["err_update_domain"], "oAuthApp.allowedRedirectDomains[0]: must not contain whitespace")
    assert "oAuthApp.name" not in sq.r["err_update_domain"].error  # the name was fine
    # (That it changed nothing, not even the valid name, shows in the audit: no such update.)
    assert_failed(sq.r["err_update_app"], "OAuth app not found (OAUTH_APP_NOT_FOUND)")
    assert_failed(sq.r["err_delete_again"], "OAuth app not found (OAUTH_APP_NOT_FOUND)")
    # Another project's OAuth app is invisible.
    assert_failed(sq.r["err_show_other_project"], "OAuth app not found (OAUTH_APP_NOT_FOUND)")


def test_unknown_project_is_a_clear_error(sc: Scenario) -> None:
    assert_failed(sc.r["err_list_project"], "No project nope (PROJECT_NOT_FOUND)")
    if "err_show_project" in sc.r:
        # show, update and delete name the project too, not just "OAuth app not found".
        assert_failed(sc.r["err_show_project"], "No project nope (PROJECT_NOT_FOUND)")
        # Rich markup in user input is printed literally instead of crashing the error report.
        assert_failed(sc.r["err_markup"], "No project [/x] (PROJECT_NOT_FOUND)")


# --- audit ------------------------------------------------------------------------------------


def test_audit_lists_changes_with_fields_and_no_secret(sc: Scenario) -> None:
    app1 = sc.r["create1"].json["oAuthApp"]["id"]
    app2 = sc.r["create2"].json["oAuthApp"]["id"]
    app3 = sc.r["_app3"].out
    data = sc.r["audit"].json
    assert list(data) == ["entries"]
    entries = data["entries"]
    assert all(set(e) == AUDIT_KEYS for e in entries)
    assert all(e["actorType"] == "cli" and e["actorId"] == f"cli:{USER}" and "requestId" not in e for e in entries)
    assert all(datetime.fromisoformat(e["createdDate"]).utcoffset() is not None for e in entries)
    got = sorted((e["oAuthAppId"], e["action"], tuple(e["fields"])) for e in entries)
    assert got == sorted(
        [
            (app1, "oauth_app.created", ("name", "description", "allowedRedirectUris", "allowedRedirectDomains")),
            (app2, "oauth_app.created", ("name",)),
            (app3, "oauth_app.created", ("name",)),
            (app2, "oauth_app.deleted", ()),
            (app1, "oauth_app.updated", ("name", "allowedRedirectDomains")),
            (app3, "oauth_app.updated", ("description",)),
        ]
    )
    # Newest first. (Only causally ordered entries are compared: entries written concurrently,
    # like the three creates, may share a millisecond and are then listed by id.)
    order = [(e["oAuthAppId"], e["action"]) for e in entries]
    assert order.index((app1, "oauth_app.updated")) < order.index((app1, "oauth_app.created"))
    assert order.index((app2, "oauth_app.deleted")) < order.index((app2, "oauth_app.created"))
    assert order.index((app3, "oauth_app.updated")) < order.index((app3, "oauth_app.created"))
    at = {(e["oAuthAppId"], e["action"]): datetime.fromisoformat(e["createdDate"]) for e in entries}
    assert (
        at[(app1, "oauth_app.updated")] > at[(app1, "oauth_app.created")]
        and at[(app2, "oauth_app.deleted")] > at[(app2, "oauth_app.created")]
    )
    assert "secret" not in sc.r["audit"].out.lower()

    only_app1 = sc.r["audit_app"].json["entries"]
    assert [(e["action"], e["fields"]) for e in only_app1] == [
        ("oauth_app.updated", ["name", "allowedRedirectDomains"]),
        ("oauth_app.created", ["name", "description", "allowedRedirectUris", "allowedRedirectDomains"]),
    ]


def test_audit_human(sq: Scenario) -> None:
    human = sq.r["audit_human"]
    assert human.rc == 0, human
    assert human.out.count(f"cli:cli:{USER}") == 6
    assert "name, allowedRedirectDomains" in human.out and "deleted" in human.out
    assert "secret" not in human.out.lower()


def test_oauth_apps_require_exact_redirect_uri_flag(tmp_path: Path) -> None:
    """``--require-exact-redirect-uri`` sets the field on create; its ``--no-`` form clears it on
    update, and an update without either leaves it as it was."""
    env, database = base_env(tmp_path), ["--database", f"sqlite:///{tmp_path / 'exact.db'}"]

    def cli(*args: str) -> Result:
        [result] = collect({"call": (list(args), spawn([*args, *database], env, tmp_path))}).values()
        return result

    project = cli("projects", "create", "Exact", "--json").json["projectId"]
    uri = ["--redirect-uri", "https://shop.example.com/cb"]
    exact = cli("oauth-apps", "create", "--project", project, "--name", "Exact", *uri, "--require-exact-redirect-uri", "--json")
    app = exact.json["oAuthApp"]
    assert app["requireExactRedirectUri"] is True
    default = cli("oauth-apps", "create", "--project", project, "--name", "Default", "--json").json["oAuthApp"]
    assert default["requireExactRedirectUri"] is False
    renamed = cli("oauth-apps", "update", app["id"], "--project", project, "--name", "Exact two", "--json").json["oAuthApp"]
    assert renamed["requireExactRedirectUri"] is True
    cleared = cli("oauth-apps", "update", app["id"], "--project", project, "--no-require-exact-redirect-uri", "--json").json["oAuthApp"]
    assert cleared["requireExactRedirectUri"] is False and cleared["name"] == "Exact two"


# --- the default database ---------------------------------------------------------------------


def test_default_database_is_the_serve_file(tmp_path: Path) -> None:
    with_dir, without_dir = tmp_path / "with-dir", tmp_path / "without-dir"
    with_dir.mkdir()
    without_dir.mkdir()
    env_without = {k: v for k, v in base_env(tmp_path).items() if k != "OAUTHAPPS_DATA_DIR"}
    args = ["projects", "create", "Default", "--json"]
    results = collect(
        {
            "data_dir": (args, spawn(args, base_env(tmp_path, OAUTHAPPS_DATA_DIR=str(with_dir / "d")), with_dir)),
            "cwd": (args, spawn(args, env_without, without_dir)),
        }
    )
    for name, path in (("data_dir", with_dir / "d" / "oauthapps.db"), ("cwd", without_dir / ".oauthapps" / "oauthapps.db")):
        created = results[name].json
        assert path.is_file(), name
        assert api_key_project(f"sqlite:///{path}", created["apiKey"]) == created["projectId"]
