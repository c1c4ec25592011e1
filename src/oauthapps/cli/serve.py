"""``oauthapps serve``: start the HTTP server (and optionally the demo project)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from ..config import trusted_proxies
from ..mail.settings import MailSettings
from ..services import owners as owner_service
from ..services import tenancy as tenancy_service
from ..store.database import Database
from ..tokens import keys as signing_keys
from .output import message, plain_lines, report_error
from .runner import DatabaseOpt, ExitCode, database_url, run, safe_url


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    database: DatabaseOpt = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    demo: Annotated[bool, typer.Option("--demo", help="Create the demo project and print its credentials.")] = False,
    issuer: Annotated[str | None, typer.Option(help="Issuer URL in tokens (default http://HOST:PORT).")] = None,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            "--forwarded-allow-ips",
            envvar="OAUTHAPPS_FORWARDED_ALLOW_IPS",
            help="Reverse proxies (IP addresses or networks, comma-separated) whose X-Forwarded-For names the client. "
            "Default: none; the client is the TCP peer.",
        ),
    ] = None,
) -> None:
    """Start the HTTP server."""
    import uvicorn

    try:
        proxies = trusted_proxies(forwarded_allow_ips)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--forwarded-allow-ips") from exc

    url = database_url(database)
    # Recognises the wildcard addresses to print a URL people can open; it binds nothing itself.
    public_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
    os.environ["OAUTHAPPS_DATABASE_URL"] = url
    os.environ["OAUTHAPPS_HOST"] = public_host
    os.environ["OAUTHAPPS_PORT"] = str(port)
    if issuer:
        os.environ["OAUTHAPPS_ISSUER"] = issuer
    base = (issuer or f"http://{public_host}:{port}").rstrip("/")
    try:  # the workers read the same settings; a wrong one stops the start here, said once
        mail_settings = MailSettings.from_env(base)
    except ValueError as exc:
        report_error(message("{}", exc))
        raise typer.Exit(ExitCode.REFUSED) from None

    async def prepare(db: Database) -> tuple[dict[str, str], tuple[str, str]] | None:
        await signing_keys.ensure_key(db)
        if not demo:
            return None
        creds = await tenancy_service.demo(db)
        return creds, await owner_service.demo_owner(db, creds["projectId"])

    prepared = run(url, prepare)
    creds = prepared[0] if prepared else None
    lines = [
        f"oauthapps on {base}  (database: {safe_url(url)})",
        f"  Owner console   {base}/console",
        f"  OAuth Apps API  {base}/oauth-app/v1/oauth-apps",
        f"  Token endpoint  {base}/oauth2/token",
        f"  API docs        {base}/docs",
        f"  Mail            {mail_settings.describe()}",
    ]
    if creds:
        lines.append("Demo credentials (new on every start; secrets are stored only as hashes):")
        lines.extend(f"  {key:<11} {value}" for key, value in creds.items())
        if prepared:
            owner_email, owner_password = prepared[1]
            lines.append(f"Console sign-in at {base}/console: email {owner_email}  password {owner_password}")
        lines.append(
            f"  try: curl -s -X POST {base}/oauth-app/v1/oauth-apps -H 'Authorization: {creds['apiKey']}' "
            f'-H \'wix-site-id: {creds["projectId"]}\' -d \'{{"oAuthApp":{{"name":"My site","allowedDomains":["localhost:3000"]}}}}\''
        )
    plain_lines(lines)
    uvicorn.run(
        "oauthapps.http.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        proxy_headers=proxies is not None,
        forwarded_allow_ips=proxies,
        server_header=False,
    )
