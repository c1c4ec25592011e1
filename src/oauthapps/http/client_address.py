"""Who is calling, for the attempt limits: the TCP peer's address. Behind a reverse proxy listed
in ``serve --forwarded-allow-ips`` (``OAUTHAPPS_FORWARDED_ALLOW_IPS``), uvicorn has already put
the client the proxy forwards for in its place: the rightmost ``X-Forwarded-For`` hop that is not
a trusted proxy. Without that setting the header is ignored, so a caller cannot pick its address.
"""

from __future__ import annotations

from starlette.requests import Request


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
