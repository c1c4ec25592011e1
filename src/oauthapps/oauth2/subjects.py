"""Whom a token is about: the token kind a grant's subject gets, and the subject type that
token-info and introspection report for each kind."""

from __future__ import annotations

from ..store.grants import GrantSubject
from ..tokens.access import TokenKind

# The access tokens minted from a grant (anonymous, authorization_code, refresh_token).
TOKEN_KIND_OF_GRANT: dict[GrantSubject, TokenKind] = {
    GrantSubject.VISITOR: TokenKind.VISITOR,
    GrantSubject.MEMBER: TokenKind.MEMBER,
}

# The wire's subject types: an installed app's token and an OAuth app's admin token are both
# an app acting for itself.
SUBJECT_TYPES: dict[TokenKind, str] = {
    TokenKind.APP: "APP",
    TokenKind.ADMIN: "APP",
    TokenKind.VISITOR: "VISITOR",
    TokenKind.MEMBER: "MEMBER",
}


def subject_type(kind: TokenKind) -> str:
    return SUBJECT_TYPES.get(kind, "UNKNOWN")


def grant_subject_type(subject: GrantSubject) -> str:
    """The subject type of a grant's refresh token: that of the access tokens it yields."""
    return SUBJECT_TYPES[TOKEN_KIND_OF_GRANT[subject]]
