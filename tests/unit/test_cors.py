"""CORS without a server: the public paths (the ones a browser client calls) are the right ones.
What the server answers on them is in tests/api/test_cors.py."""

from __future__ import annotations

from oauthapps.http.cors import PUBLIC_PATHS


def test_public_paths_are_the_browser_ones() -> None:
    assert {
        "/oauth2/token",
        "/oauth2/revoke",
        "/oauth2/token-info",
        "/_api/redirects-api/v1/redirect-session",
        "/_api/iam/authentication/v2/login",
        "/_api/iam/authentication/v2/register",
    } <= PUBLIC_PATHS
    assert "/oauth2/introspect" not in PUBLIC_PATHS and "/oauth2/authorize" not in PUBLIC_PATHS
