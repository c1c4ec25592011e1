"""Password reset by mail, over HTTP as @wix/sdk sends it (``sendPasswordResetEmail`` →
``POST /_api/iam/recovery/v1/send-email``) and through the hosted "Forgot password?" page: the
mail arrives at a real SMTP server, its single-use link opens the hosted page, the new password
ends every earlier sign-in. Bad links change nothing; unknown emails get the same answer. On
SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from ..support.account_mail import MailingServer, age_rows, assert_hosted_page_headers, hidden_inputs, mailing_server, reset_link_in
from ..support.mail import cli_json
from ..support.members import PASSWORD, fresh_email, login, member_tokens
from ..support.oauth2 import Client, Pkce, authorize_query, authorize_url, new_client, refresh, token_active, visitor_tokens
from ..support.tenants import Tenant, new_tenant

SEND = "/_api/iam/recovery/v1/send-email"
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture(scope="module")
def mailing(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailingServer]:
    with mailing_server(database_url, tmp_path_factory.mktemp("reset")) as running:
        yield running


@pytest.fixture
def site(mailing: MailingServer) -> Iterator[tuple[httpx.Client, Tenant, Client]]:
    with httpx.Client(base_url=mailing.server.base_url, timeout=30) as http:
        tenant = new_tenant(http, mailing.database_url)
        yield http, tenant, new_client(http, tenant)


def _send(http: httpx.Client, client: Client, email: str, redirect_uri: str | None = None) -> httpx.Response:
    """As OAuthStrategy.sendPasswordResetEmail(email, redirectUri) sends it, with a visitor token."""
    visitor = visitor_tokens(http, client.id)["access_token"]
    body: dict[str, Any] = {"email": email, "redirect": {"url": redirect_uri or client.redirect_uri, "clientId": client.id}}
    return http.post(SEND, headers={"Authorization": visitor}, json=body)


def _member_id(http: httpx.Client, tenant: Tenant, email: str) -> str:
    found = http.post("/members/v1/members/query", headers=tenant.key_headers, json={"query": {"filter": {"loginEmail": email}}})
    [member] = found.json()["members"]
    return str(member["id"])


def _path(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def _set_password(http: httpx.Client, link_path: str, password: str = NEW_PASSWORD, confirmation: str | None = None) -> httpx.Response:
    page = http.get(link_path)
    assert page.status_code == 200, page.text
    fields = hidden_inputs(page.text)
    fields.update({"password": password, "password_confirmation": password if confirmation is None else confirmation})
    return http.post("/oauth2/reset-password", data=fields)


def test_reset_by_mail_sets_the_password_ends_every_sign_in_and_returns_to_the_site(
    mailing: MailingServer, site: tuple[httpx.Client, Tenant, Client]
) -> None:
    http, tenant, client = site
    email = fresh_email()
    tokens = member_tokens(http, client, email)

    answered = _send(http, client, email)
    assert (answered.status_code, answered.json()) == (200, {})
    [mail] = mailing.wait_for_mails(email)
    link = reset_link_in(mail)
    assert link.startswith(mailing.server.base_url + "/oauth2/reset-password?")
    query = parse_qs(urlsplit(link).query)
    assert query["client_id"] == [client.id] and query["token"][0].startswith("oarp_") and len(query["token"][0]) >= 43 + 5
    assert PASSWORD not in mail.text and PASSWORD not in mail.html

    page = http.get(_path(link))
    assert page.status_code == 200 and "Choose a new password" in page.text
    assert_hosted_page_headers(page)
    assert page.headers["referrer-policy"] == "no-referrer"
    done = _set_password(http, _path(link))
    assert done.status_code == 303, done.text
    assert done.headers["location"] == client.redirect_uri

    # Every earlier sign-in ends: the refresh token, the access token; the old password is gone.
    assert refresh(http, client.id, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert not token_active(http, tokens["access_token"])
    visitor = visitor_tokens(http, client.id)["access_token"]
    assert login(http, visitor, email).status_code == 401
    assert login(http, visitor, email, NEW_PASSWORD).json()["state"] == "SUCCESS"
    member = http.get(f"/members/v1/members/{_member_id(http, tenant, email)}", headers=tenant.key_headers).json()["member"]
    assert member["loginEmailVerified"] is True  # the link proved she reads the mailbox

    # The link worked once.
    again = http.get(_path(link))
    assert again.status_code == 400 and "Link not valid" in again.text
    assert "Link not valid" in http.post("/oauth2/reset-password", data=hidden_inputs(page.text) | {"password": "x" * 10}).text
    log = mailing.server.log()
    assert NEW_PASSWORD not in log and query["token"][0] not in log and email not in log


def test_an_unknown_email_gets_the_same_answer_and_no_mail(mailing: MailingServer, site: tuple[httpx.Client, Tenant, Client]) -> None:
    http, tenant, client = site
    known, unknown = fresh_email(), fresh_email()
    member_tokens(http, client, known)
    for_unknown = _send(http, client, unknown)
    for_known = _send(http, client, known)
    assert (for_unknown.status_code, for_unknown.json()) == (for_known.status_code, for_known.json()) == (200, {})
    mailing.wait_for_mails(known)
    queued = cli_json("mail", "list", "--project", tenant.project_id, "--database", mailing.database_url)
    assert [m["to"] for m in queued if m["template"] == "password_reset"] == [known]
    assert not mailing.mails_to(unknown)
    assert unknown not in mailing.server.log() and known not in mailing.server.log()


def test_requests_are_limited_per_account_alike_for_known_and_unknown_emails(
    mailing: MailingServer, site: tuple[httpx.Client, Tenant, Client]
) -> None:
    http, _, client = site
    known, unknown = fresh_email(), fresh_email()
    member_tokens(http, client, known)
    for email in (known, unknown):
        assert [_send(http, client, email).status_code for _ in range(3)] == [200, 200, 200]
        refused = _send(http, client, email)
        assert refused.status_code == 429, refused.text
        assert refused.json()["details"]["applicationError"]["code"] == "-19959"
        assert int(refused.headers["retry-after"]) > 0


def test_bad_links_change_nothing(mailing: MailingServer, site: tuple[httpx.Client, Tenant, Client]) -> None:
    http, tenant, client = site
    email = fresh_email()
    member_tokens(http, client, email)
    member_id = _member_id(http, tenant, email)
    assert _send(http, client, email).status_code == 200
    link = _path(reset_link_in(mailing.wait_for_mails(email)[0]))
    query = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}

    tampered = query["token"][:-2] + ("AA" if not query["token"].endswith("AA") else "BB")
    other_tenant = new_tenant(http, mailing.database_url)
    other_client = new_client(http, other_tenant)
    for bad in (
        {**query, "token": tampered},
        {**query, "client_id": other_client.id},  # another project's client: never
        {**query, "token": "x" * 5000},
        {"client_id": client.id},
    ):
        page = http.get("/oauth2/reset-password?" + urlencode(bad))
        assert page.status_code == 400 and "Link not valid" in page.text, bad
        assert_hosted_page_headers(page)

    # A wrong confirmation, a short password, a missing CSRF token: the form again, the link still open.
    mismatch = _set_password(http, link, NEW_PASSWORD, "something else entirely")
    assert mismatch.status_code == 400 and "does not match" in mismatch.text
    short = _set_password(http, link, "short")
    assert short.status_code == 400 and "8 to 256 characters" in short.text
    no_csrf = http.post("/oauth2/reset-password", data={**query, "password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD})
    assert no_csrf.status_code == 400 and "form expired" in no_csrf.text
    visitor = visitor_tokens(http, client.id)["access_token"]
    assert login(http, visitor, email).json()["state"] == "SUCCESS"  # the password is unchanged

    # An expired link (past its hour): a clear page, and still the old password.
    age_rows(mailing.database_url, "one_time_tokens", member_id, {"expires_at": datetime.now(UTC) - timedelta(seconds=1)})
    expired = http.get(link)
    assert expired.status_code == 400 and "expired" in expired.text
    assert login(http, visitor, email).json()["state"] == "SUCCESS"


def test_an_unapproved_redirect_gets_the_plain_page(mailing: MailingServer, site: tuple[httpx.Client, Tenant, Client]) -> None:
    http, _, client = site
    email = fresh_email()
    member_tokens(http, client, email)
    assert _send(http, client, email, "https://evil.example/steal").status_code == 200
    done = _set_password(http, _path(reset_link_in(mailing.wait_for_mails(email)[0])))
    assert done.status_code == 200 and "Password changed" in done.text
    assert "location" not in done.headers
    bad_body = http.post(SEND, headers={"Authorization": visitor_tokens(http, client.id)["access_token"]}, json={"email": "not an email"})
    assert bad_body.status_code == 400
    assert bad_body.json()["details"]["validationError"]["fieldViolations"][0]["field"] == "email"


def test_the_hosted_login_links_to_forgot_password_which_mails_the_link(
    mailing: MailingServer, site: tuple[httpx.Client, Tenant, Client]
) -> None:
    api, _, client = site
    email = fresh_email()
    member_tokens(api, client, email)
    http = httpx.Client(base_url=mailing.server.base_url, timeout=30)  # a browser with no session yet
    params = authorize_query(client.id, client.redirect_uri, Pkce.new())
    login_page = http.get(authorize_url(params))
    [forgot_href] = re.findall(r'href="(/oauth2/forgot-password\?[^"]+)"', login_page.text)
    forgot_href = unescape(forgot_href)
    assert {k: v[0] for k, v in parse_qs(urlsplit(forgot_href).query).items()} == params

    forgot = http.get(forgot_href)
    assert forgot.status_code == 200 and "Forgot your password?" in forgot.text
    assert_hosted_page_headers(forgot)
    fields = hidden_inputs(forgot.text)
    assert fields["client_id"] == client.id
    for address in (email, fresh_email()):  # the same page for a member and for anyone else
        sent = http.post("/oauth2/forgot-password", data={**fields, "email": address})
        assert sent.status_code == 200 and "If there is an account with this email" in sent.text
    assert (
        http.post("/oauth2/forgot-password", data={k: v for k, v in fields.items() if k != "csrf_token"} | {"email": email}).status_code
        == 400
    )

    done = _set_password(http, _path(reset_link_in(mailing.wait_for_mails(email)[0])))
    assert done.status_code == 200 and "Password changed" in done.text  # no redirect was asked for
    assert login(api, visitor_tokens(api, client.id)["access_token"], email, NEW_PASSWORD).json()["state"] == "SUCCESS"
    http.close()
