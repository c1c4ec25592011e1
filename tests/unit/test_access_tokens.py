"""Access tokens as minted and checked in-process: the compact JWS we assemble is a standard ES256
JWT, and the cache of verified tokens never accepts what a full verification would refuse."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import delete

from oauthapps import clock
from oauthapps.store.caches import Budget
from oauthapps.store.database import Database
from oauthapps.store.migrate import upgrade_async
from oauthapps.store.schema import signing_keys
from oauthapps.tokens.access import TokenIssuer, TokenKind
from oauthapps.tokens.keys import SigningKeys, rotate

ISSUER = "https://auth.example.test"


@pytest.fixture
async def issuer(tmp_path: Path) -> AsyncIterator[TokenIssuer]:
    url = f"sqlite:///{tmp_path / 'tokens.db'}"
    await upgrade_async(url)
    db = Database.open(url)
    keys = SigningKeys(db)
    await keys.load()
    try:
        yield TokenIssuer(keys, ISSUER)
    finally:
        await db.close()


def mint(issuer: TokenIssuer, lifetime: int = 600) -> str:
    token, _ = issuer.mint(
        kind=TokenKind.VISITOR,
        subject="s-1",
        project_id="p-1",
        client_id="c-1",
        lifetime=lifetime,
        scopes=("offline_access",),
        grant_id="g-1",
    )
    return token


async def test_minted_token_is_a_standard_es256_jwt_verifiable_from_the_jwks(issuer: TokenIssuer) -> None:
    token = mint(issuer)
    public = KeySet.import_key_set(issuer.keys.jwks())
    decoded = jwt.decode(token, public, algorithms=["ES256"])
    assert decoded.header == {"typ": "at+jwt", "alg": "ES256", "kid": issuer.keys.active.kid}
    claims = decoded.claims
    assert (claims["iss"], claims["sub"], claims["aud"], claims["client_id"], claims["gid"]) == (ISSUER, "s-1", "p-1", "c-1", "g-1")
    assert claims["scope"] == "offline_access" and claims["exp"] - claims["iat"] == 600
    assert len(claims["jti"]) == 32 and claims["jti"] != jwt.decode(mint(issuer), public).claims["jti"]


async def test_a_cached_token_is_refused_once_it_expires(issuer: TokenIssuer) -> None:
    with clock.frozen(clock.now()) as frozen:
        token = mint(issuer, lifetime=60)
        assert (await issuer.verify(token)) is not None
        assert (await issuer.verify(token)) is not None  # now from the cache
        frozen.advance(timedelta(seconds=61))
        assert await issuer.verify(token) is None


async def test_a_tampered_copy_of_a_cached_token_is_refused(issuer: TokenIssuer) -> None:
    token = mint(issuer)
    assert await issuer.verify(token) is not None
    head, payload, signature = token.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    assert await issuer.verify(f"{head}.{payload}.{flipped}") is None
    other_payload = mint(issuer).split(".")[1]
    assert await issuer.verify(f"{head}.{other_payload}.{signature}") is None


async def test_removing_a_signing_key_stops_its_cached_tokens(issuer: TokenIssuer) -> None:
    token = mint(issuer)
    old_kid = issuer.keys.active.kid
    assert await issuer.verify(token) is not None
    await rotate(issuer.keys._db, 600)
    await issuer.keys.load()
    assert await issuer.verify(token) is not None  # retired keys keep verifying
    async with issuer.keys._db.transaction() as conn:
        await conn.execute(delete(signing_keys).where(signing_keys.c.kid == old_kid))
    await issuer.keys.load()
    assert await issuer.verify(token) is None
    assert await issuer.verify(mint(issuer)) is not None  # the new key signs and verifies


async def test_the_verified_cache_is_bounded(issuer: TokenIssuer) -> None:
    bounded = TokenIssuer(issuer.keys, issuer.issuer, Budget(entries=3, bytes=10**6))
    tokens = [mint(bounded) for _ in range(5)]
    for token in tokens:
        assert await bounded.verify(token) is not None
    assert len(bounded.verified) == 3
    assert list(bounded.verified.data) == tokens[2:]  # the oldest went first


async def test_the_verified_cache_is_bounded_in_bytes(issuer: TokenIssuer) -> None:
    budget = 8 * 1024
    bounded = TokenIssuer(issuer.keys, issuer.issuer, Budget(entries=1000, bytes=budget))
    tokens = [mint(bounded) for _ in range(40)]
    for token in tokens:
        assert await bounded.verify(token) is not None
        assert bounded.verified.bytes <= budget
    assert 1 < len(bounded.verified) < 40
    assert list(bounded.verified.data) == tokens[-len(bounded.verified) :]  # the newest stayed
    assert bounded.verified.bytes == sum(bounded.verified.sizes.values())
