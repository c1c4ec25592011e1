"""Health, metrics and logs of a running server, in both log formats:

- ``json``: two workers, ``--log-format json``, ``--metrics-port`` and ``--metrics-per-app``;
- ``text``: one worker, the default text log, ``/metrics`` on the public port.

Each server is driven through the flows that carry secrets (client credentials with right and
wrong secrets, visitor and member tokens, refresh, sign-in with right and wrong passwords, a
password reset by mail, token checks); then every line it logged is searched for each secret,
token, code and password used, every JSON line is parsed, and the metrics are scraped and
checked against what was sent. docs/prometheus-rules.yml is checked against a real scrape.
SQLite only: nothing here depends on the database engine (the PostgreSQL outage test checks
/health/ready on a database that goes away)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import yaml

from ..support.account_mail import MailingServer, hidden_inputs, mailing_server, reset_link_in
from ..support.members import PASSWORD, code_with_ticket, fresh_email, login
from ..support.metrics import Scrape, scrape
from ..support.oauth2 import Client, Pkce, exchange, new_client, refresh, token_call, visitor_tokens
from ..support.servers import free_port, stop_server
from ..support.tenants import Tenant, new_tenant

RULES = Path(__file__).resolve().parents[2] / "docs" / "prometheus-rules.yml"
NEW_PASSWORD = "observability passphrase 7"
WRONG_SECRET = "not-the-secret-0123456789abcdef"
WRONG_PASSWORD = "wrong passphrase 1234"
JWKS = "/.well-known/jwks.json"
JWKS_REQUESTS = 24
MAX_CONNECTIONS = 200  # a bound: fresh connections until each worker has served one


@dataclass
class Observed:
    log_format: str
    base_url: str
    metrics_url: str
    metrics_dir: Path | None
    tenant: Tenant
    client: Client
    secrets: dict[str, str] = field(default_factory=dict)  # what each is -> the value
    request_ids: list[str] = field(default_factory=list)
    wrong_secret_refusals: int = 0
    before: Scrape | None = None
    after: Scrape | None = None
    public_metrics_status: int = 0
    health: dict[str, Any] = field(default_factory=dict)
    log: str = ""


def _member_flows(http: httpx.Client, mailing: MailingServer, seen: Observed) -> None:
    client, email = seen.client, fresh_email()
    visitor = visitor_tokens(http, client.id)
    seen.secrets |= {"visitor access token": visitor["access_token"], "visitor refresh token": visitor["refresh_token"]}
    renewed = refresh(http, client.id, visitor["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    seen.secrets["renewed refresh token"] = renewed.json()["refresh_token"]
    unknown = refresh(http, client.id, "oar_" + "x" * 43)
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_grant", unknown.text

    registered = http.post(
        "/_api/iam/authentication/v2/register",
        headers={"Authorization": visitor["access_token"]},
        json={"loginId": {"email": email}, "password": PASSWORD, "profile": {"nickname": "Observed"}},
    )
    assert registered.status_code == 200, registered.text
    seen.secrets |= {"password": PASSWORD, "session token": registered.json()["sessionToken"]}
    assert login(http, visitor["access_token"], email, WRONG_PASSWORD).status_code == 401
    seen.secrets["wrong password"] = WRONG_PASSWORD

    # A password reset by mail: the link's token, the new password, then a sign-in with it.
    sent = http.post(
        "/_api/iam/recovery/v1/send-email",
        headers={"Authorization": visitor["access_token"]},
        json={"email": email, "redirect": {"url": client.redirect_uri, "clientId": client.id}},
    )
    assert sent.status_code == 200, sent.text
    link = reset_link_in(mailing.wait_for_mails(email)[0])
    parts = urlsplit(link)
    seen.secrets["reset token"] = parse_qs(parts.query)["token"][0]
    page = http.get(f"{parts.path}?{parts.query}")
    assert page.status_code == 200, page.text
    fields = hidden_inputs(page.text) | {"password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD}
    assert http.post("/oauth2/reset-password", data=fields).status_code == 303
    seen.secrets["new password"] = NEW_PASSWORD
    signed_in = login(http, visitor_tokens(http, client.id)["access_token"], email, NEW_PASSWORD)
    assert signed_in.json()["state"] == "SUCCESS", signed_in.text
    ticket = signed_in.json()["sessionToken"]
    seen.secrets["second session token"] = ticket

    # The ticket for an authorization code (PKCE), the code for a member's tokens.
    pkce = Pkce.new()
    code = code_with_ticket(http, client, pkce, ticket)
    seen.secrets |= {"authorization code": code, "PKCE verifier": pkce.verifier}
    member = exchange(http, client, code, pkce.verifier)
    assert member.status_code == 200, member.text
    seen.secrets |= {"member access token": member.json()["access_token"], "member refresh token": member.json()["refresh_token"]}
    assert http.post("/oauth2/token-info", json={"token": member.json()["access_token"]}).json()["active"] is True
    assert http.post("/oauth2/revoke", json={"token": member.json()["refresh_token"], "clientId": client.id}).status_code == 200


def _app_flows(http: httpx.Client, seen: Observed) -> None:
    tenant = seen.tenant
    seen.secrets |= {"API key": tenant.api_key, "app secret": tenant.app_secret, "app token": tenant.token}
    if seen.client.secret:
        seen.secrets["OAuth app secret"] = seen.client.secret
    for _ in range(2):
        wrong = token_call(
            http, grant_type="client_credentials", client_id=tenant.app_id, client_secret=WRONG_SECRET, instance_id=tenant.instance_id
        )
        assert wrong.status_code == 401, wrong.text
        seen.wrong_secret_refusals += 1
    seen.secrets["wrong secret"] = WRONG_SECRET
    listed = http.post("/oauth-app/v1/oauth-apps/query", headers=tenant.app_headers, json={"query": {}})
    assert listed.status_code == 200, listed.text
    seen.request_ids.append(listed.headers["x-wix-request-id"])
    by_key = http.post("/oauth-app/v1/oauth-apps/query", headers=tenant.key_headers, json={"query": {}})
    assert by_key.status_code == 200, by_key.text


def _jwks_on_fresh_connections(seen: Observed) -> None:
    """JWKS_REQUESTS requests, each on a connection of its own (the kernel spreads connections
    over the workers); with two workers, more until each has answered one (its files exist)."""
    sent = 0
    while sent < MAX_CONNECTIONS:
        response = httpx.get(seen.base_url + JWKS, timeout=30)
        assert response.status_code == 200
        seen.request_ids.append(response.headers["x-wix-request-id"])
        sent += 1
        if sent >= JWKS_REQUESTS and (seen.metrics_dir is None or len(_worker_pids(seen.metrics_dir)) >= 2):
            break
    seen.health["jwks sent"] = sent


def _worker_pids(metrics_dir: Path) -> set[str]:
    """The processes that wrote a latency histogram (multi-process mode: a file per process)."""
    return {m[1] for p in metrics_dir.glob("histogram_*.db") if (m := re.fullmatch(r"histogram_(\d+)\.db", p.name))}


def _scrape_sampled(metrics_url: str, jwks_sent: int) -> Scrape:
    """A scrape once every worker has written what it counted (each does every sampling period,
    and the one answering a scrape on the public port first; on --metrics-port the supervisor
    answers, so wait for the workers' next sampling)."""
    count = "oauthapps_http_request_duration_seconds_count"
    deadline = time.monotonic() + 30
    while True:
        got = scrape(metrics_url)
        done = got.value(count, route=JWKS) >= jwks_sent and got.value("oauthapps_cache_lookups_total") > 0
        if done or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


@pytest.fixture(scope="module", params=["json", "text"])
def observed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Observed]:
    log_format: str = request.param
    tmp = tmp_path_factory.mktemp(f"observed-{log_format}")
    metrics_dir = tmp / "metrics" if log_format == "json" else None
    if log_format == "json":
        port = free_port()
        args: tuple[str, ...] = ("--log-format", "json", "--metrics-port", str(port), "--metrics-per-app", "2")
        env = {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "OAUTHAPPS_METRICS_SAMPLE_SECONDS": "1"}
        workers = 2
    else:
        args, env, workers = (), {"OAUTHAPPS_LOG_FORMAT": "text"}, 1
    with mailing_server("sqlite://", tmp, workers=workers, extra_env=env, extra_args=args) as mailing:
        base = mailing.server.base_url
        metrics_url = f"http://127.0.0.1:{port}/metrics" if log_format == "json" else f"{base}/metrics"
        with httpx.Client(base_url=base, timeout=30) as http:
            tenant = new_tenant(http, mailing.database_url)
            seen = Observed(log_format, base, metrics_url, metrics_dir, tenant, new_client(http, tenant))
            seen.public_metrics_status = http.get("/metrics").status_code
            seen.health = {"alive": http.get("/health/alive").json(), "ready": http.get("/health/ready")}
            _app_flows(http, seen)
            _member_flows(http, mailing, seen)
            seen.before = scrape(metrics_url)
            _jwks_on_fresh_connections(seen)
            seen.after = _scrape_sampled(metrics_url, seen.health["jwks sent"])
        stop_server(mailing.server)  # SIGTERM: the access log's last lines are written
        seen.log = mailing.server.log()
    yield seen


def test_no_secret_token_code_or_password_is_logged(observed: Observed) -> None:
    assert len(observed.secrets) >= 15, observed.secrets.keys()
    for what, value in observed.secrets.items():
        assert len(value) >= 8, what  # long enough that finding it cannot be chance
        assert value not in observed.log, f"the {what} is in the {observed.log_format} log"
    # The requests were logged, so the search above looked at something.
    for request_id in observed.request_ids:
        assert request_id in observed.log


def test_every_log_line_of_the_json_format_is_one_json_object(observed: Observed) -> None:
    if observed.log_format != "json":
        pytest.skip("the text format")
    lines = [line for line in observed.log.splitlines() if line.strip()]
    parsed = [json.loads(line) for line in lines]  # raises on the first line that is not JSON
    assert all(isinstance(entry, dict) and {"time", "level", "message"} <= entry.keys() for entry in parsed)
    access = [entry for entry in parsed if entry["message"] == "access"]
    assert {e["request_id"] for e in access} >= set(observed.request_ids)
    for entry in access:
        assert {"method", "route", "path", "status", "duration_ms"} <= entry.keys(), entry
        assert "?" not in entry["path"], entry
    # The route template, and who the request acted for once known.
    query = next(e for e in access if e["route"] == "/oauth-app/v1/oauth-apps/query" and e.get("client_id"))
    assert query["project_id"] == observed.tenant.project_id and query["client_id"] == observed.tenant.app_id
    jwks = [e for e in access if e["route"] == JWKS]
    assert len(jwks) >= JWKS_REQUESTS and all(e["status"] == 200 and "project_id" not in e for e in jwks)
    resets = [e for e in access if e["path"] == "/oauth2/reset-password"]
    assert resets and all(e["route"] == "/oauth2/reset-password" for e in resets)


def test_health_answers_small_json_and_nothing_about_tenants(observed: Observed) -> None:
    assert observed.health["alive"] == {"status": "alive"}
    ready: httpx.Response = observed.health["ready"]
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "migrations": "current", "changeFeed": "ok"}}
    assert ready.headers["cache-control"] == "no-store"


def test_metrics_count_what_was_sent_across_workers(observed: Observed) -> None:
    before, after = observed.before, observed.after
    assert before is not None and after is not None
    count = "oauthapps_http_request_duration_seconds_count"
    sent = observed.health["jwks sent"]
    assert after.value(count, route=JWKS, status="200") - before.value(count, route=JWKS, status="200") == sent
    if observed.metrics_dir is not None:
        assert len(_worker_pids(observed.metrics_dir)) == 2, "both workers' requests are in the one view"
        assert observed.public_metrics_status == 404, "with --metrics-port, not on the public port"
    else:
        assert observed.public_metrics_status == 200
    # Token outcomes by grant: issued, the two wrong secrets, the unknown refresh token.
    tokens = "oauthapps_token_requests_total"
    assert after.value(tokens, grant="client_credentials", outcome="invalid_client") == observed.wrong_secret_refusals
    assert after.value(tokens, grant="refresh_token", outcome="invalid_grant") == 1
    for grant in ("anonymous", "refresh_token", "authorization_code", "client_credentials"):
        assert after.value(tokens, grant=grant, outcome="issued") >= 1, grant
    # Route templates, never raw paths: the OAuth app's id is in no label unless per-app is asked for.
    assert "/oauth2/reset-password" in after.text and "token=" not in after.text
    assert observed.tenant.project_id not in after.text
    per_app = after.value("oauthapps_app_tokens_issued_total", client_id=observed.client.id)
    if observed.log_format == "json":
        assert per_app >= 3  # --metrics-per-app 2: the site's visitor, refresh and member tokens
    else:
        assert per_app == 0 and observed.client.id not in after.text
    assert after.value("oauthapps_database_up") == 1 and after.value("oauthapps_migrations_current") == 1
    assert after.value("oauthapps_cache_lookups_total") > 0


def test_the_alerting_rules_use_only_metrics_the_server_exposes(observed: Observed) -> None:
    rules = yaml.safe_load(RULES.read_text())
    expressions = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    assert expressions and all(rule.get("alert") and rule.get("annotations") for g in rules["groups"] for rule in g["rules"])
    assert observed.after is not None
    exposed = observed.after.names
    used = {name for expr in expressions for name in re.findall(r"\b(oauthapps_[a-z_]+)\b", str(expr))}
    assert used, expressions
    assert used <= exposed, sorted(used - exposed)
