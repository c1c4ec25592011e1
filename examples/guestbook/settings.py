"""The guestbook's settings: the process environment first, then the env file that ``connect``
writes (``examples/guestbook/.env`` unless ``GUESTBOOK_ENV_FILE`` names another).

The file holds ``KEY=value`` lines; blank lines and ``#`` comments are ignored, and a value may be
wrapped in single or double quotes. No variable expansion, no ``export``: it is not a shell file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ENV_FILE = Path(__file__).resolve().parent / ".env"

URL = "OAUTHAPPS_URL"
CLIENT_ID = "OAUTHAPPS_CLIENT_ID"
CLIENT_SECRET = "OAUTHAPPS_CLIENT_SECRET"  # server side only: never sent to a browser
SECRET_KEY = "GUESTBOOK_SECRET_KEY"  # Flask's session signing key
ADMIN_PASSWORD = "GUESTBOOK_ADMIN_PASSWORD"  # /admin is off while this is unset
SITE_URL = "GUESTBOOK_SITE_URL"  # optional: the public URL, if not the one the browser used
ENV_FILE = "GUESTBOOK_ENV_FILE"

# The site's data: anyone reads, members write, only an entry's author changes or removes it.
COLLECTION = "Guestbook"
PERMISSIONS = {"read": "ANYONE", "insert": "SITE_MEMBER", "update": "SITE_MEMBER_AUTHOR", "remove": "SITE_MEMBER_AUTHOR"}


def env_file_path(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    return Path(environ[ENV_FILE]) if environ.get(ENV_FILE) else DEFAULT_ENV_FILE


def read_env_file(path: Path) -> dict[str, str]:
    """The file's variables; a missing file is empty."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = (part.strip() for part in line.split("=", 1))
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def write_env_file(path: Path, updates: Mapping[str, str]) -> None:
    """Set ``updates`` in the file, keeping its other lines (an admin password added by hand, say).
    The file is replaced atomically and is readable by its owner only (mode 0600): it holds the
    OAuth app's secret."""
    for key, value in updates.items():
        if any(ch in value for ch in "\r\n"):
            raise ValueError(f"{key} may not contain a line break")
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    pending = dict(updates)
    kept: list[str] = []
    for line in lines:
        key = line.split("=", 1)[0].strip() if "=" in line and not line.lstrip().startswith("#") else None
        if key in pending:
            kept.append(f"{key}={pending.pop(key)}")
        else:
            kept.append(line)
    kept.extend(f"{key}={value}" for key, value in pending.items())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".env-", dir=path.parent)  # created with mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write("\n".join(kept) + "\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Settings:
    oauthapps_url: str = ""
    client_id: str = ""
    client_secret: str = ""
    secret_key: str = ""
    admin_password: str = ""
    site_url: str = ""
    env_file: Path | None = None

    @property
    def connected(self) -> bool:
        """The site knows its server and OAuth app (what ``connect`` writes)."""
        return bool(self.oauthapps_url and self.client_id)

    @classmethod
    def load(cls, env_file: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
        """The environment wins over the file (so a deployment can override what connect wrote)."""
        environ = os.environ if environ is None else environ
        path = env_file or env_file_path(environ)
        merged = {**read_env_file(path), **{k: v for k, v in environ.items() if v}}

        def get(name: str) -> str:
            return merged.get(name, "").strip()

        return cls(
            oauthapps_url=get(URL).rstrip("/"),
            client_id=get(CLIENT_ID),
            client_secret=get(CLIENT_SECRET),
            secret_key=get(SECRET_KEY),
            admin_password=get(ADMIN_PASSWORD),
            site_url=get(SITE_URL).rstrip("/"),
            env_file=path,
        )
