"""Connect the guestbook to an oauthapps server, as an installed app would (sample flows, use case 1).

    python -m examples.guestbook.connect --site-url http://127.0.0.1:5000
    python examples/guestbook/connect.py --site-url http://127.0.0.1:5000

With the installed app's credentials (``AppStrategy(app_id, app_secret, instance_id)``, an app
with ``SCOPE.OAUTH_APP.MANAGE``; ``make run`` prints demo ones) it

1. creates the site's OAuth app with ``allowedDomains`` [the site's host:port] and
   ``allowedRedirectUris`` [site URL + /callback] (or, on a re-run, finds the one it made before
   and points it at the given site URL);
2. creates the ``Guestbook`` collection with the new OAuth app's admin token
   (``ClientCredentialsStrategy``): anyone reads, members insert, authors update and remove
   (an existing collection is fine);
3. writes OAUTHAPPS_URL, OAUTHAPPS_CLIENT_ID and OAUTHAPPS_CLIENT_SECRET to the env file (mode 0600),
   plus a GUESTBOOK_SECRET_KEY for the site's sessions if there is none yet.

Settings come from options or the environment: OAUTHAPPS_URL, OAUTHAPPS_APP_ID,
OAUTHAPPS_APP_SECRET, OAUTHAPPS_INSTANCE_ID. Exit status 0 on success, 1 when the server refused
(the reason is printed), 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from examples.guestbook.settings import (
        CLIENT_ID,
        CLIENT_SECRET,
        COLLECTION,
        PERMISSIONS,
        SECRET_KEY,
        URL,
        env_file_path,
        read_env_file,
        write_env_file,
    )
else:
    from .settings import (
        CLIENT_ID,
        CLIENT_SECRET,
        COLLECTION,
        PERMISSIONS,
        SECRET_KEY,
        URL,
        env_file_path,
        read_env_file,
        write_env_file,
    )

from oauthapps.sdk import (
    ApiError,
    AppStrategy,
    ClientCredentialsStrategy,
    NotFoundError,
    OAuthAppsError,
    TokenError,
    create_client,
    members,
    oauth_apps,
)

COLLECTIONS_PATH = "/wix-data/v2/collections"


class ConnectError(Exception):
    """A refusal worth one clear line, not a traceback."""


def site_parts(site_url: str) -> tuple[str, str]:
    """(the site URL without a trailing slash, its host[:port] for allowedDomains)."""
    parts = urlsplit(site_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConnectError(f"--site-url must be an http(s) URL such as http://127.0.0.1:5000, not {site_url!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ConnectError(f"--site-url must be just scheme://host[:port], not {site_url!r}")
    return f"{parts.scheme}://{parts.netloc}", parts.netloc


def _describe(err: OAuthAppsError) -> str:
    if isinstance(err, ApiError) and err.violations:
        return f"{err.status} {err.code}: " + "; ".join(f"{v.field} {v.description} ({v.violated_rule})" for v in err.violations)
    return str(err)


def connect(
    server_url: str,
    app_id: str,
    app_secret: str,
    instance_id: str,
    site_url: str,
    env_file: Path,
    *,
    name: str = "Guestbook",
    new: bool = False,
    http: httpx.Client | None = None,
    out: Any = sys.stdout,
) -> dict[str, str]:
    """Do it; returns what was written. Raises ConnectError (or the SDK's errors)."""
    base, domain = site_parts(site_url)
    server_url = server_url.rstrip("/")
    callback = f"{base}/callback"
    wanted = {"allowedDomains": [domain], "allowedRedirectUris": [callback]}
    previous = read_env_file(env_file)
    owns_http = http is None
    http = http or httpx.Client(timeout=30)
    try:
        manager = create_client(
            auth=AppStrategy(app_id, app_secret, instance_id), modules=[oauth_apps], base_url=server_url, http_client=http
        )
        client_id = client_secret = ""
        # Re-run: keep the OAuth app this file already names on this server, if it still exists.
        if not new and previous.get(URL, "").rstrip("/") == server_url and previous.get(CLIENT_ID) and previous.get(CLIENT_SECRET):
            try:
                manager.oauth_apps.get(previous[CLIENT_ID])
            except NotFoundError:
                print(f"The OAuth app {previous[CLIENT_ID]} in {env_file} no longer exists; creating a new one.", file=out)
            else:
                client_id, client_secret = previous[CLIENT_ID], previous[CLIENT_SECRET]
                manager.oauth_apps.update(client_id, wanted, mask=list(wanted))
                print(f"Reusing OAuth app {client_id}; approved {domain} and {callback}.", file=out)
        if not client_id:
            created = manager.oauth_apps.create(
                {
                    "name": name,
                    "description": "Guestbook sample template (examples/guestbook)",
                    **wanted,
                }
            )
            client_id, client_secret = created["id"], created.get("secret", "")
            if not client_secret:
                raise ConnectError("The server did not return the new OAuth app's secret")
            print(f"Created OAuth app {client_id} for {domain} (callback {callback}).", file=out)

        # The new app's admin token. The SDK has no collections call, so after one admin call
        # (which also proves the token is an admin's) the collection is created over plain HTTP
        # with the strategy's cached token.
        admin = create_client(
            auth=ClientCredentialsStrategy(client_id, client_secret), modules=[members], base_url=server_url, http_client=http
        )
        try:
            admin.members.list_members(limit=1)
        except TokenError as err:
            raise ConnectError(f"The OAuth app {client_id} refused its secret from {env_file} ({err.error}); run again with --new") from err
        headers = {"Authorization": admin.auth.access_token.value}
        body = {"collection": {"id": COLLECTION, "permissions": PERMISSIONS}}
        answer = http.post(server_url + COLLECTIONS_PATH, headers=headers, json=body)
        if answer.status_code == 200:
            print(f"Created the {COLLECTION} collection.", file=out)
        elif answer.status_code == 409:
            listed = http.get(server_url + COLLECTIONS_PATH, headers=headers)
            existing = (
                next((c for c in (listed.json().get("collections") or []) if c.get("id") == COLLECTION), {})
                if listed.status_code == 200
                else {}
            )
            if existing.get("permissions") not in (None, PERMISSIONS):
                print(
                    f"Warning: the existing {COLLECTION} collection has permissions {existing['permissions']}, not {PERMISSIONS}.", file=out
                )
            else:
                print(f"The {COLLECTION} collection already exists.", file=out)
        else:
            raise ConnectError(f"Creating the {COLLECTION} collection failed: HTTP {answer.status_code} {answer.text[:300]}")
    finally:
        if owns_http:
            http.close()

    values = {URL: server_url, CLIENT_ID: client_id, CLIENT_SECRET: client_secret}
    if not previous.get(SECRET_KEY):
        values[SECRET_KEY] = secrets.token_hex(32)
    write_env_file(env_file, values)
    print(f"Wrote {', '.join(values)} to {env_file} (mode 0600).", file=out)
    return values


def main(argv: list[str] | None = None) -> int:
    env = os.environ
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=env.get("OAUTHAPPS_URL"), help="the oauthapps server (OAUTHAPPS_URL)")
    parser.add_argument("--app-id", default=env.get("OAUTHAPPS_APP_ID"), help="installed app ID (OAUTHAPPS_APP_ID)")
    parser.add_argument("--app-secret", default=env.get("OAUTHAPPS_APP_SECRET"), help="its secret (OAUTHAPPS_APP_SECRET)")
    parser.add_argument("--instance-id", default=env.get("OAUTHAPPS_INSTANCE_ID"), help="its instance ID (OAUTHAPPS_INSTANCE_ID)")
    parser.add_argument("--site-url", default="http://127.0.0.1:5000", help="where the guestbook runs (default http://127.0.0.1:5000)")
    parser.add_argument(
        "--env-file",
        type=Path,
        default=env_file_path(env),
        help="where to write the settings (default: GUESTBOOK_ENV_FILE, else examples/guestbook/.env)",
    )
    parser.add_argument("--name", default="Guestbook", help="the OAuth app's name")
    parser.add_argument("--new", action="store_true", help="always create a new OAuth app, even if the env file names one")
    args = parser.parse_args(argv)
    missing = [
        flag
        for flag, value in (
            ("--url", args.url),
            ("--app-id", args.app_id),
            ("--app-secret", args.app_secret),
            ("--instance-id", args.instance_id),
        )
        if not value
    ]
    if missing:
        parser.error(f"missing {', '.join(missing)} (or their OAUTHAPPS_* environment variables)")
    try:
        connect(args.url, args.app_id, args.app_secret, args.instance_id, args.site_url, args.env_file, name=args.name, new=args.new)
    except ConnectError as err:
        print(f"connect: {err}", file=sys.stderr)
        return 1
    except OAuthAppsError as err:
        print(f"connect: the server refused: {_describe(err)}", file=sys.stderr)
        return 1
    except httpx.HTTPError as err:
        print(f"connect: cannot reach {args.url}: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
