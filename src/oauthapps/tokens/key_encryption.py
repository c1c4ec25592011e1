"""Signing keys encrypted at rest: AES-256-GCM with a key encryption key (KEK) from the environment.

A stored private key is ``sealed:v1:<KEK id>:<base64url(nonce | ciphertext | tag)>``, with the key's
``kid`` as associated data, so that a sealed key copied onto another row does not open. The KEK id
(a hash of the KEK, not the KEK) names which KEK sealed a row, so that a wrong or missing KEK is
reported as such rather than as a broken key.

Where the KEK comes from:

* ``OAUTHAPPS_KEY_ENCRYPTION_KEY``: 32 random bytes in base64 (``openssl rand -base64 32``).
  ``OAUTHAPPS_KEY_ENCRYPTION_KEY_PREVIOUS`` (comma-separated) may name KEKs being replaced: rows
  sealed with one of them still open, and are sealed again with the current KEK on start.
* Without it, on SQLite (``make run``, ``serve --demo``): a KEK file beside the database file,
  created 0600 on first use. That keeps a copy of the database alone from revealing the keys, not
  a copy of its whole directory; the server says so on start. Once the variable is set, keys
  sealed with the file still open, and are sealed again with the variable's KEK on start.
* Without it, on PostgreSQL: nothing starts that needs the signing keys. Each node would otherwise
  make its own file and could not open the keys another node made.

Rows written by versions before this one hold the plain JWK; they still open, and are sealed in
place on start (``keys.ensure_key``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import make_url

from ..store.database import async_url

ENV = "OAUTHAPPS_KEY_ENCRYPTION_KEY"
PREVIOUS_ENV = "OAUTHAPPS_KEY_ENCRYPTION_KEY_PREVIOUS"
KEY_FILE_NAME = "key-encryption.key"
SEALED_PREFIX = "sealed:v1:"
KEY_BYTES = 32
NONCE_BYTES = 12


class KeyEncryptionError(Exception):
    """The signing keys cannot be sealed or opened; the message says what to do."""


def _key_id(kek: bytes) -> str:
    return hashlib.sha256(b"oauthapps key encryption key id\0" + kek).hexdigest()[:16]


def parse_kek(text: str, name: str = ENV) -> bytes:
    """32 bytes from standard or URL-safe base64 (padding optional)."""
    raw = text.strip()
    try:
        kek = base64.b64decode(raw.replace("-", "+").replace("_", "/") + "=" * (-len(raw) % 4), validate=True)
    except (binascii.Error, ValueError):
        kek = b""
    if len(kek) != KEY_BYTES:
        raise KeyEncryptionError(f"{name} must be {KEY_BYTES} random bytes in base64 (make one with: openssl rand -base64 32)")
    return kek


def _aad(kid: str) -> bytes:
    return f"oauthapps signing key {kid}".encode()


@dataclass(frozen=True)
class KeySealer:
    """Seals private JWKs with the current KEK; opens rows sealed with it or with a previous one."""

    kek: bytes = field(repr=False)
    source: str
    previous: tuple[bytes, ...] = field(default=(), repr=False)
    created_file: bool = False

    @property
    def key_id(self) -> str:
        return _key_id(self.kek)

    def seal(self, kid: str, private_jwk: str) -> str:
        nonce = secrets.token_bytes(NONCE_BYTES)
        box = AESGCM(self.kek).encrypt(nonce, private_jwk.encode(), _aad(kid))
        return f"{SEALED_PREFIX}{self.key_id}:{base64.urlsafe_b64encode(nonce + box).decode().rstrip('=')}"

    def is_current(self, stored: str) -> bool:
        """Sealed with the current KEK (nothing to redo on start)."""
        return stored.startswith(f"{SEALED_PREFIX}{self.key_id}:")

    def open(self, kid: str, stored: str) -> str:
        """The private JWK of a stored row; a row from before encryption is returned as it is."""
        if not stored.startswith(SEALED_PREFIX):
            return stored
        try:
            key_id, body = stored[len(SEALED_PREFIX) :].split(":", 1)
            blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (ValueError, binascii.Error) as exc:
            raise KeyEncryptionError(f"the stored signing key {kid} is damaged") from exc
        kek = next((k for k in (self.kek, *self.previous) if _key_id(k) == key_id), None)
        if kek is None:
            raise KeyEncryptionError(
                f"the signing key {kid} was encrypted with another key encryption key (id {key_id}); this process has {self.key_id} "
                f"from {self.source}. Set {ENV} to the key the database was set up with (the old one may go in {PREVIOUS_ENV})"
            )
        try:
            return AESGCM(kek).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], _aad(kid)).decode()
        except InvalidTag as exc:
            raise KeyEncryptionError(f"the stored signing key {kid} does not open with its key encryption key (altered?)") from exc


def _sqlite_path(database_url: str) -> Path | None:
    full = async_url(database_url)
    if not full.startswith("sqlite"):
        return None
    database = make_url(full).database
    return Path(database) if database and database != ":memory:" else None


def _key_file(path: Path) -> tuple[bytes, bool]:
    """The KEK in ``path``, made (0600, never overwritten) if there is none."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return parse_kek(path.read_text(), str(path)), False
    kek = secrets.token_bytes(KEY_BYTES)
    with os.fdopen(fd, "w") as out:
        out.write(base64.b64encode(kek).decode() + "\n")
    return kek, True


def sealer_for(database_url: str, environ: dict[str, str] | None = None) -> KeySealer:
    """The sealer for a database: the KEK from the environment, else the SQLite KEK file; on
    PostgreSQL without the variable a KeyEncryptionError that says how to set it."""
    env = os.environ if environ is None else environ
    previous = tuple(parse_kek(p, PREVIOUS_ENV) for p in env.get(PREVIOUS_ENV, "").split(",") if p.strip())
    configured = env.get(ENV, "").strip()
    path = _sqlite_path(database_url)
    if configured:
        # A SQLite database that used the key file until now opens with it, and is sealed again
        # with the configured KEK on start.
        key_file = path.parent / KEY_FILE_NAME if path is not None else None
        if key_file is not None and key_file.exists():
            previous = (*previous, parse_kek(key_file.read_text(), str(key_file)))
        return KeySealer(parse_kek(configured), ENV, previous)
    if path is None:
        raise KeyEncryptionError(
            f"{ENV} is not set. The signing keys are stored encrypted, and on PostgreSQL the key encryption key must come "
            f"from the environment (the same on every node): make one with `openssl rand -base64 32`, keep it in your secret "
            f"store, and set {ENV} for every server and CLI run"
        )
    kek, created = _key_file(path.parent / KEY_FILE_NAME)
    return KeySealer(kek, str(path.parent / KEY_FILE_NAME), previous, created_file=created)


def startup_notice(sealer: KeySealer) -> str | None:
    """What ``serve`` tells the operator when the KEK is not from the environment."""
    if sealer.source == ENV:
        return None
    where = "made now in" if sealer.created_file else "kept in"
    return (
        f"{ENV} is not set: the signing keys are encrypted with a key {where} {sealer.source}. "
        f"Keep that file out of database backups, or set {ENV} (openssl rand -base64 32) for production."
    )
