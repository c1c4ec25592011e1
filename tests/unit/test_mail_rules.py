"""The pure rules of mail: the SMTP URL, the From default, addresses, sender names, the retry
schedule, and HTML escaping of the rendered bodies."""

from __future__ import annotations

from datetime import timedelta

import pytest

from oauthapps.domain.errors import ValidationFailed
from oauthapps.domain.mail import MailTemplate, check_recipient, check_sender_name, retry_delay
from oauthapps.mail.render import render
from oauthapps.mail.settings import SmtpServer, TlsMode, default_from_address, parse_smtp_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.com", SmtpServer("mail.example.com", 587, TlsMode.STARTTLS_IF_OFFERED)),
        ("smtp://u:p%40ss@mail.example.com:2525", SmtpServer("mail.example.com", 2525, TlsMode.STARTTLS_IF_OFFERED, "u", "p@ss")),
        ("smtp://mail.example.com?starttls=required", SmtpServer("mail.example.com", 587, TlsMode.STARTTLS_REQUIRED)),
        ("smtps://a%2Bb:x@mail.example.com", SmtpServer("mail.example.com", 465, TlsMode.IMPLICIT, "a+b", "x")),
    ],
)
def test_smtp_urls(url: str, expected: SmtpServer) -> None:
    parsed = parse_smtp_url(url)
    assert (parsed, parsed.username, parsed.password) == (expected, expected.username, expected.password)


@pytest.mark.parametrize(
    "url",
    [
        "http://mail.example.com",
        "smtp://",
        "smtp://h:99999",
        "smtp://h/path",
        "smtp://h?tls=1",
        "smtp://h?starttls=maybe",
        "smtps://h?starttls=required",
    ],
)
def test_bad_smtp_urls_are_refused_without_echoing_the_password(url: str) -> None:
    with pytest.raises(ValueError, match="OAUTHAPPS_SMTP_URL") as raised:
        parse_smtp_url(url.replace("://", "://user:hunter2@", 1) if "://h" in url else url)
    assert "hunter2" not in str(raised.value)


def test_the_description_never_shows_the_password() -> None:
    assert parse_smtp_url("smtp://me:hunter2@h:25").describe() == "me@h:25 (STARTTLS when offered)"


def test_the_default_from_address_is_on_the_issuers_host() -> None:
    assert default_from_address("https://auth.example.com") == "no-reply@auth.example.com"
    assert default_from_address("http://127.0.0.1:8080") == "no-reply@[127.0.0.1]"


@pytest.mark.parametrize("address", ["", "a", "a@b", "a b@c.d", "a@b.c\r\nBcc: x@y.z", "A <a@b.c>", "a@b.c, d@e.f", "x" * 321 + "@b.c"])
def test_recipients_are_one_plain_address(address: str) -> None:
    with pytest.raises(ValidationFailed):
        check_recipient(address)


def test_sender_names_are_one_printable_line() -> None:
    assert check_sender_name("  Fresh fruit ") == "Fresh fruit"
    for bad in ["", " ", "a\nBcc: x@y.z", "x" * 101]:
        with pytest.raises(ValidationFailed):
            check_sender_name(bad)


def test_retries_back_off_exponentially_up_to_the_longest_wait() -> None:
    first, longest = timedelta(seconds=30), timedelta(minutes=15)
    assert [retry_delay(n, first, longest).total_seconds() for n in range(1, 8)] == [30, 60, 120, 240, 480, 900, 900]
    assert retry_delay(10_000, first, longest) == longest


def test_the_html_body_escapes_parameters_and_the_text_body_keeps_them() -> None:
    mail = render(MailTemplate.TEST, {"sender_name": "<script>x</script>", "to": "a@b.c"})
    assert mail.subject == "Test mail from <script>x</script>"
    assert "<script>" in mail.text
    assert "&lt;script&gt;x&lt;/script&gt;" in mail.html
    assert "<script>" not in mail.html
