"""Email verification, a project setting: register() and a login of an unverified member answer
REQUIRE_EMAIL_VERIFICATION with a stateToken, a six-digit code arrives at a real SMTP server, and
``POST /_api/iam/verification/v1/auth/verify`` (processVerification) gives SUCCESS with a
sessionToken. Wrong, expired, locked and foreign codes change nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from ..support.account_mail import MailingServer, age_rows, code_in, hidden_inputs, mailing_server
from ..support.mail import cli_json
from ..support.members import PASSWORD, create_member, fresh_email, login, register, submit_login
from ..support.oauth2 import Client, Pkce, authorize_query, authorize_url, new_client, response_params, visitor_tokens
from ..support.tenants import Tenant, new_tenant

VERIFY = "/_api/iam/verification/v1/auth/verify"
RESEND = "/_api/iam/verification/v1/auth/resend"


@pytest.fixture(scope="module")
def mailing(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailingServer]:
    with mailing_server(database_url, tmp_path_factory.mktemp("verify")) as running:
        yield running


@pytest.fixture
def site(mailing: MailingServer) -> Iterator[tuple[httpx.Client, Tenant, Client]]:
    """A project that requires email verification, and an OAuth app of it."""
    with httpx.Client(base_url=mailing.server.base_url, timeout=30) as http:
        tenant = new_tenant(http, mailing.database_url)
        settings = cli_json("projects", "update", tenant.project_id, "--require-email-verification", "--database", mailing.database_url)
        assert settings["requireEmailVerification"] is True and settings["requireOwnerApproval"] is False
        yield http, tenant, new_client(http, tenant)


def _visitor(http: httpx.Client, client: Client) -> str:
    return str(visitor_tokens(http, client.id)["access_token"])


def _verify(http: httpx.Client, visitor: str, state: str, code: str) -> httpx.Response:
    return http.post(VERIFY, headers={"Authorization": visitor}, json={"code": code, "stateToken": state})


def _app_error(response: httpx.Response) -> str:
    return str(response.json()["details"]["applicationError"]["code"])


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_register_asks_for_the_mailed_code_then_signs_in(mailing: MailingServer, site: tuple[httpx.Client, Tenant, Client]) -> None:
    http, tenant, client = site
    visitor, email = _visitor(http, client), fresh_email()
    answered = register(http, visitor, email)
    assert answered.status_code == 200, answered.text
    body = answered.json()
    assert body["state"] == "REQUIRE_EMAIL_VERIFICATION" and "sessionToken" not in body
    assert body["stateToken"].startswith("oavs_")
    assert body["identity"]["email"] == {"address": email, "isVerified": False}
    assert body["identity"]["status"] == {"name": "PENDING", "reasons": ["PENDING_EMAIL_VERIFICATION_REQUIRED"]}
    [mail] = mailing.wait_for_mails(email)
    code = code_in(mail)
    assert code in mail.message["Subject"] and PASSWORD not in mail.text + mail.html

    wrong = _verify(http, visitor, body["stateToken"], _wrong(code))
    assert wrong.status_code == 400 and _app_error(wrong) == "VERIFICATION_CODE_INVALID"
    assert wrong.json()["details"]["applicationError"]["data"] == {"triesLeft": 4}
    done = _verify(http, visitor, body["stateToken"], code)
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "SUCCESS" and done.json()["sessionToken"].startswith("oat_")
    assert done.json()["identity"]["email"]["isVerified"] is True
    member = http.get(f"/members/v1/members/{body['identity']['id']}", headers=tenant.key_headers).json()["member"]
    assert member["loginEmailVerified"] is True

    # Used up; and from now on she signs in directly, with no more mail.
    again = _verify(http, visitor, body["stateToken"], code)
    assert again.status_code == 400 and _app_error(again) == "VERIFICATION_STATE_INVALID"
    assert login(http, visitor, email).json()["state"] == "SUCCESS"
    assert len(mailing.mails_to(email)) == 1
    assert code not in mailing.server.log() and email not in mailing.server.log()


def test_a_member_from_before_the_setting_verifies_at_her_next_login(
    mailing: MailingServer, site: tuple[httpx.Client, Tenant, Client]
) -> None:
    http, tenant, client = site
    email = fresh_email()
    create_member(mailing.database_url, tenant.project_id, email)
    visitor = _visitor(http, client)
    assert login(http, visitor, email, "not the password").status_code == 401  # no state, no mail, for a wrong password
    answered = login(http, visitor, email)
    assert answered.json()["state"] == "REQUIRE_EMAIL_VERIFICATION"
    code = code_in(mailing.wait_for_mails(email)[0])
    assert _verify(http, visitor, answered.json()["stateToken"], code).json()["state"] == "SUCCESS"


def test_five_wrong_codes_lock_it_and_a_new_code_works(mailing: MailingServer, site: tuple[httpx.Client, Tenant, Client]) -> None:
    http, _, client = site
    visitor, email = _visitor(http, client), fresh_email()
    state = register(http, visitor, email).json()["stateToken"]
    code = code_in(mailing.wait_for_mails(email)[0])
    assert [_app_error(_verify(http, visitor, state, _wrong(code))) for _ in range(5)] == ["VERIFICATION_CODE_INVALID"] * 5
    locked = _verify(http, visitor, state, code)
    assert locked.status_code == 400 and _app_error(locked) == "VERIFICATION_CODE_LOCKED"

    resent = http.post(RESEND, headers={"Authorization": visitor}, json={"stateToken": state})
    assert resent.status_code == 200 and resent.json()["stateToken"] == state
    new_code = code_in(mailing.wait_for_mails(email, 2)[1])
    if new_code != code:
        assert _app_error(_verify(http, visitor, state, code)) == "VERIFICATION_CODE_INVALID"  # the old code is gone
    assert _verify(http, visitor, state, new_code).json()["state"] == "SUCCESS"


def test_code_requests_are_limited(mailing: MailingServer, site: tuple[httpx.Client, Tenant, Client]) -> None:
    http, _, client = site
    visitor, email = _visitor(http, client), fresh_email()
    state = register(http, visitor, email).json()["stateToken"]  # the first code mail
    statuses = [http.post(RESEND, headers={"Authorization": visitor}, json={"stateToken": state}).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    refused = login(http, visitor, email)
    assert refused.status_code == 429 and _app_error(refused) == "-19959"


def test_bad_codes_and_states_change_nothing(mailing: MailingServer, site: tuple[httpx.Client, Tenant, Client]) -> None:
    http, tenant, client = site
    visitor, email = _visitor(http, client), fresh_email()
    answered = register(http, visitor, email).json()
    state, member_id = answered["stateToken"], answered["identity"]["id"]
    code = code_in(mailing.wait_for_mails(email)[0])

    malformed = _verify(http, visitor, state, "12ab")
    assert malformed.status_code == 400 and malformed.json()["details"]["validationError"]["fieldViolations"][0]["field"] == "code"
    for bad_state in (state[:-2] + "xx", "x" * 5000, ""):
        assert _app_error(_verify(http, visitor, bad_state, code)) == "VERIFICATION_STATE_INVALID"
    # Another project's client (and visitor) never gets this member's state through.
    other = new_tenant(http, mailing.database_url)
    other_visitor = _visitor(http, new_client(http, other))
    assert _app_error(_verify(http, other_visitor, state, code)) == "VERIFICATION_STATE_INVALID"
    # An expired code: a clear error, and she is still unverified.
    age_rows(mailing.database_url, "email_verifications", member_id, {"code_expires_at": datetime.now(UTC) - timedelta(seconds=1)})
    expired = _verify(http, visitor, state, code)
    assert expired.status_code == 400 and _app_error(expired) == "VERIFICATION_CODE_EXPIRED"
    member = http.get(f"/members/v1/members/{member_id}", headers=tenant.key_headers).json()["member"]
    assert member["loginEmailVerified"] is False
    assert login(http, visitor, email).json()["state"] == "REQUIRE_EMAIL_VERIFICATION"


def test_the_hosted_login_asks_for_the_code(mailing: MailingServer, site: tuple[httpx.Client, Tenant, Client]) -> None:
    http, _, client = site
    email = fresh_email()
    params = authorize_query(client.id, client.redirect_uri, Pkce.new())
    page = submit_login(http, authorize_url(params), email, action="register")
    assert page.status_code == 200 and "Check your email" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    fields = hidden_inputs(page.text)
    code = code_in(mailing.wait_for_mails(email)[0])

    wrong = http.post("/oauth2/authorize", data={**fields, "action": "verify", "code": _wrong(code)})
    assert wrong.status_code == 400 and "Wrong verification code" in wrong.text
    done = http.post("/oauth2/authorize", data={**fields, "action": "verify", "code": code})
    assert done.status_code == 303, done.text
    got = response_params(done.headers["location"], "query")
    assert got["code"].startswith("oac_") and got["state"] == params["state"]
