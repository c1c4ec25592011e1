"""The root ``oauthapps`` command: the command groups put together, and the console script's entry."""

from __future__ import annotations

import typer

from . import apps, audit, data, demo, keys, mail, members, oauth_apps, owners, projects, serve

app = typer.Typer(help="oauthapps: a self-hosted OAuth Apps platform.", no_args_is_help=True, add_completion=False)
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)
app.command("audit")(audit.audit)
app.add_typer(projects.group, name="projects")
app.add_typer(apps.group, name="apps")
app.add_typer(oauth_apps.group, name="oauth-apps")
app.add_typer(keys.group, name="keys")
app.add_typer(members.group, name="members")
app.add_typer(owners.group, name="owners")
app.add_typer(data.group, name="data")
app.add_typer(mail.group, name="mail")


def main() -> None:
    app()
