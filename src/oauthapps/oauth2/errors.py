"""RFC 6749 section 5.2 errors: ``{error, error_description}`` with 400 or 401 (429 with
``Retry-After`` when a budget is spent)."""

from __future__ import annotations


class OAuth2Error(Exception):
    def __init__(self, error: str, description: str, status: int = 400, retry_after: int | None = None, cut_off: bool = False):
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.retry_after = retry_after
        self.cut_off = cut_off  # a member blocked or not approved (told apart in the metrics only)

    def to_wire(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def invalid_request(description: str) -> OAuth2Error:
    return OAuth2Error("invalid_request", description)


def invalid_client(description: str = "Client authentication failed") -> OAuth2Error:
    return OAuth2Error("invalid_client", description, 401)


def invalid_grant(description: str) -> OAuth2Error:
    return OAuth2Error("invalid_grant", description)


def member_cut_off() -> OAuth2Error:
    """``invalid_grant`` on the wire (as for any grant that no longer holds), counted apart."""
    return OAuth2Error("invalid_grant", "The member is blocked or waits for the owner's approval", cut_off=True)


def unsupported_grant_type(grant: str) -> OAuth2Error:
    return OAuth2Error("unsupported_grant_type", f"grant_type {grant!r} is not supported")


def over_budget(description: str, retry_after: int) -> OAuth2Error:
    """429 (RFC 6585) in the RFC 6749 shape. RFC 6749 names no error for it at the token endpoint;
    ``temporarily_unavailable`` is its code for a server that cannot serve the request now."""
    return OAuth2Error("temporarily_unavailable", description, 429, retry_after=retry_after)
