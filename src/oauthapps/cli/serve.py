"""``oauthapps serve``: start the HTTP server (and optionally the demo project)."""

from __future__ import annotations

import os
import sys
import time
from typing import Annotated

import typer

from ..config import MAX_METRICS_PER_APP, Settings, trusted_proxies
from ..logs import LOG_FORMAT_ENV, LogFormat, iso_time, json_line
from ..mail.settings import MailSettings
from ..services import owners as owner_service
from ..services import tenancy as tenancy_service
from ..serving import ServeOptions
from ..serving import serve as serve_http
from ..serving.options import GRACEFUL_TIMEOUT_SECONDS
from ..store.database import Database
from ..tokens import keys as signing_keys
from ..tokens.key_encryption import startup_notice
from .output import message, plain_lines, report_error, report_warning
from .runner import DatabaseOpt, ExitCode, database_url, run, safe_url


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    database: DatabaseOpt = None,
    workers: Annotated[int, typer.Option(min=1, max=256, help="Worker processes.")] = 1,
    graceful_timeout: Annotated[
        int,
        typer.Option(min=0, max=3600, help="On SIGTERM, how long to wait for the requests already received (seconds)."),
    ] = GRACEFUL_TIMEOUT_SECONDS,
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
    log_format: Annotated[
        LogFormat, typer.Option("--log-format", envvar=LOG_FORMAT_ENV, help="text (for people) or json (one object per line).")
    ] = LogFormat.TEXT,
    metrics: Annotated[
        bool, typer.Option("--metrics/--no-metrics", envvar="OAUTHAPPS_METRICS", help="Prometheus metrics (default: on, at /metrics).")
    ] = True,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            "--metrics-port",
            envvar="OAUTHAPPS_METRICS_PORT",
            min=1,
            max=65535,
            help="Serve /metrics on this port (on --host) instead of the public one.",
        ),
    ] = None,
    metrics_per_app: Annotated[
        int,
        typer.Option(
            "--metrics-per-app",
            envvar="OAUTHAPPS_METRICS_PER_APP",
            min=0,
            max=MAX_METRICS_PER_APP,
            help="Count tokens per OAuth app for at most this many apps per process (the rest as 'other'); 0: off.",
        ),
    ] = 0,
) -> None:
    """Start the HTTP server."""
    try:
        proxies = trusted_proxies(forwarded_allow_ips)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--forwarded-allow-ips") from exc
    # The workers read their settings from the environment (config.py): pass the choices on.
    os.environ[LOG_FORMAT_ENV] = log_format.value
    os.environ["OAUTHAPPS_METRICS"] = "on" if metrics else "off"
    os.environ["OAUTHAPPS_METRICS_PER_APP"] = str(metrics_per_app)
    if metrics_port is not None:
        os.environ["OAUTHAPPS_METRICS_PORT"] = str(metrics_port)

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
        notice = startup_notice(await signing_keys.ensure_key(db))
        if notice and log_format is LogFormat.JSON:
            sys.stderr.write(json_line({"time": iso_time(time.time()), "level": "warning", "logger": "oauthapps.cli", "message": notice}))
        elif notice:
            report_warning(message("{}", notice))
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
        f"  API docs        {base}/docs" if Settings.from_env().api_docs else f"  OpenAPI         {base}/openapi.json",
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
    if log_format is LogFormat.JSON:  # every line the server writes is then one JSON object
        stamp = iso_time(time.time())
        sys.stdout.write("".join(json_line({"time": stamp, "level": "info", "logger": "oauthapps.cli", "message": line}) for line in lines))
        sys.stdout.flush()
    else:
        plain_lines(lines)
    options = ServeOptions(
        host=host,
        port=port,
        workers=workers,
        graceful_timeout=graceful_timeout,
        forwarded_allow_ips=proxies,
        metrics=metrics,
        metrics_port=metrics_port if metrics else None,
    )
    try:
        code = serve_http(options)
    except OSError as exc:
        report_error(message("cannot listen on {}:{}: {}", host, port, exc.strerror or exc))
        raise typer.Exit(ExitCode.CANNOT_LISTEN) from None
    if code:
        raise typer.Exit(code)
