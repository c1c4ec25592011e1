"""The pure rules of ``response_mode=web_message``: it needs ``prompt=none``, its code may be
redeemed without ``redirect_uri`` (the Wix SDK sends none) but not with a wrong one, and the target
origin is the redirect URI's origin as a browser writes it."""

from __future__ import annotations

import pytest

from oauthapps.domain.authorize_request import (
    AuthorizeError,
    ResponseMode,
    parse,
    response_mode_of,
    token_redirect_uri_matches,
)
from oauthapps.domain.pkce import s256
from oauthapps.domain.urls import parse_web_url

CHALLENGE = s256("v" * 43)


def request(**extra: str) -> dict[str, str]:
    return {"response_type": "code", "code_challenge": CHALLENGE, "code_challenge_method": "S256", **extra}


def test_web_message_needs_prompt_none() -> None:
    parsed = parse(request(response_mode="web_message", prompt="none"), "c", "https://shop.example")
    assert parsed.response_mode == ResponseMode.WEB_MESSAGE
    for prompt in ({}, {"prompt": "login"}, {"prompt": "consent"}):
        with pytest.raises(AuthorizeError) as refused:
            parse(request(response_mode="web_message", **prompt), "c", "https://shop.example")
        assert refused.value.error == "invalid_request"
    # Errors about the rest of the request are answered in the mode asked for.
    assert response_mode_of({"response_mode": "web_message"}) == ResponseMode.WEB_MESSAGE
    assert response_mode_of({"response_mode": "form_post"}) == ResponseMode.QUERY


@pytest.mark.parametrize(
    "sent, issued_for, mode, expected",
    [
        (None, "https://shop.example", "web_message", True),
        ("https://shop.example", "https://shop.example", "web_message", True),
        ("https://evil.example", "https://shop.example", "web_message", False),
        (None, "https://shop.example/cb", "query", False),
        (None, "https://shop.example/cb", "fragment", False),
        (None, "https://shop.example/cb", None, False),
        ("https://shop.example/cb", "https://shop.example/cb", "query", True),
    ],
)
def test_token_redirect_uri(sent: str | None, issued_for: str, mode: str | None, expected: bool) -> None:
    assert token_redirect_uri_matches(sent, issued_for, mode) is expected


@pytest.mark.parametrize(
    "uri, origin",
    [
        ("https://Shop.Example/callback?x=1", "https://shop.example"),
        ("https://shop.example:443/", "https://shop.example"),
        ("https://shop.example:8443/cb", "https://shop.example:8443"),
        ("http://127.0.0.1:5173", "http://127.0.0.1:5173"),
        ("http://localhost:80/cb", "http://localhost"),
        ("http://[::1]:3000/cb", "http://[::1]:3000"),
    ],
)
def test_origin_as_a_browser_writes_it(uri: str, origin: str) -> None:
    assert parse_web_url(uri).origin == origin
