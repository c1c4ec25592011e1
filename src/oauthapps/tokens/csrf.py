"""CSRF tokens of the hosted pages (the login form, the logout confirmation, the password
pages): made and signed by
this server, never taken from the browser.

A double-submit cookie alone trusts whatever value sits in the cookie, and a cookie can be
planted by a sibling subdomain or over plain http (cookie tossing); an attacker who chose it can
then forge the form. So a token is ``kid.expires.nonce.mac``: an HMAC, under a key derived from
one of our signing keys, of what the token is for (``purpose``), how long it lives and,
where there is one, what it is bound to (the logout page binds it to the member's session, so a
token from the attacker's own visit is worth nothing in the victim's browser). A cookie value that
does not verify is never adopted: the page issues a fresh one. Keys come and go with signing key
rotation (retired keys verify until they are dropped), on every node alike, with no new secret to
configure.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from enum import StrEnum

from joserfc.errors import JoseError
from joserfc.jwk import ECKey

from .. import clock
from .keys import SigningKeys

LIFETIME_SECONDS = 2 * 3600
MAX_TOKEN_LENGTH = 256
_KEY_LABEL = b"oauthapps hosted-page csrf v1"


class Purpose(StrEnum):
    LOGIN = "login"  # the sign-in form and its email-code step
    LOGOUT = "logout"
    PASSWORD = "password"  # "forgot password" and the reset link's page


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _mac_key(key: ECKey) -> bytes:
    """An HMAC key of its own, derived from the signing key's private scalar (never the scalar)."""
    private = str(key.as_dict(private=True)["d"]).encode("ascii")
    return hmac.new(private, _KEY_LABEL, hashlib.sha256).digest()


def _mac(key: ECKey, purpose: Purpose, binding: str, kid: str, expires: str, nonce: str) -> str:
    message = "\x1f".join((purpose.value, binding, kid, expires, nonce)).encode("utf-8")
    return _b64(hmac.new(_mac_key(key), message, hashlib.sha256).digest())


def issue(keys: SigningKeys, purpose: Purpose, binding: str = "") -> str:
    active = keys.active
    expires = str(int(clock.timestamp()) + LIFETIME_SECONDS)
    nonce = secrets.token_urlsafe(32)
    return ".".join((active.kid, expires, nonce, _mac(active.key, purpose, binding, active.kid, expires, nonce)))


async def is_ours(keys: SigningKeys, token: str | None, purpose: Purpose, binding: str = "") -> bool:
    """True only for an unexpired token this server issued for ``purpose`` and ``binding``."""
    if not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 3:
        return False
    kid, expires, nonce, mac = token.split(".")
    if not (expires.isascii() and expires.isdigit()) or int(expires) <= clock.timestamp():
        return False
    if not keys.knows(kid):
        await keys.refresh_if_stale(force=True)  # a key rotated in elsewhere since we loaded ours
    try:
        key = keys.keyset.get_by_kid(kid)
    except (JoseError, KeyError, ValueError):
        return False
    if not isinstance(key, ECKey):
        return False
    return hmac.compare_digest(mac, _mac(key, purpose, binding, kid, expires, nonce))
