"""The SQL schema, written once for SQLite and PostgreSQL. Migrations derive from it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy import false as sa_false
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

from ..domain.members import MemberStatus
from .query_sql import ascii_lower, bytewise

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcTimestamp(TypeDecorator[datetime]):
    """Aware UTC datetimes stored as integer microseconds: exact, sortable, same on both engines."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> int | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        delta = value - datetime(1970, 1, 1, tzinfo=UTC)
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds

    def process_result_value(self, value: int | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return datetime.fromtimestamp(value // 1_000_000, tz=UTC).replace(microsecond=value % 1_000_000)


def _id(name: str = "id") -> Column[str]:
    return Column(name, String(64), primary_key=True)


projects = Table(
    "projects",
    metadata,
    _id(),
    Column("name", String(256), nullable=False),
    Column("created_at", UtcTimestamp(), nullable=False),
    # New members wait for the owner's approval (members.status PENDING) before they get tokens.
    Column("require_owner_approval", Boolean, nullable=False, default=False, server_default=sa_false()),
    # The display name in the From header of the project's mails (None: the project's name).
    Column("mail_sender_name", String(128), nullable=True),
    # Members must type a code mailed to them before they get a session (domain/account_recovery.py).
    Column("require_email_verification", Boolean, nullable=False, default=False, server_default=sa_false()),
)

platform_apps = Table(
    "platform_apps",
    metadata,
    _id(),
    Column("name", String(256), nullable=False),
    Column("secret_hash", String(128), nullable=False),
    Column("scopes", JSON, nullable=False),
    Column("created_at", UtcTimestamp(), nullable=False),
)

installations = Table(
    "installations",
    metadata,
    _id(),
    Column("app_id", String(64), ForeignKey("platform_apps.id", ondelete="CASCADE"), nullable=False),
    Column("project_id", String(64), ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("scopes", JSON, nullable=False),
    Column("created_at", UtcTimestamp(), nullable=False),
    UniqueConstraint("app_id", "project_id"),
    # A project's installed apps, listed by the console.
    Index("ix_installations_project_id", "project_id"),
)

api_keys = Table(
    "api_keys",
    metadata,
    _id(),
    Column("project_id", String(64), ForeignKey("projects.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(256), nullable=False),
    Column("key_hash", String(128), nullable=False, unique=True),
    Column("created_at", UtcTimestamp(), nullable=False),
    # The key's first characters (its prefix and 4 of its 43 random ones), so an owner can tell
    # keys apart; None for keys made before it was kept.
    Column("hint", String(16), nullable=True),
)

oauth_apps = Table(
    "oauth_apps",
    metadata,
    _id(),
    Column("project_id", String(64), ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(256), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("login_url", Text, nullable=False, default=""),
    Column("logout_url", Text, nullable=False, default=""),
    Column("allowed_redirect_uris", JSON, nullable=False),
    Column("allowed_redirect_domains", JSON, nullable=False),
    Column("allow_secret_generation", Boolean, nullable=False, default=False),
    Column("application_type", String(64), nullable=False),
    Column("technology", String(64), nullable=False),
    Column("redirect_url_wix_pages", Text, nullable=False, default=""),
    Column("wix_pages_domains_mappings", JSON, nullable=False),
    Column("refresh_token_rotation", Boolean, nullable=False, default=False),
    # Login redirects only by exact URI, never by domain (domain/redirect_policy.py).
    Column("require_exact_redirect_uri", Boolean, nullable=False, default=False, server_default=false()),
    Column("secret_hash", String(128), nullable=True),
    Column("previous_secret_hash", String(128), nullable=True),
    Column("previous_secret_expires_at", UtcTimestamp(), nullable=True),
    Column("created_at", UtcTimestamp(), nullable=False),
    Column("updated_at", UtcTimestamp(), nullable=False),
    # One index per sort a query can ask for, each ending in the id tiebreaker: the page is read in
    # index order and stops after LIMIT rows, and the tenant's rows are counted from the index alone.
    Index("ix_oauth_apps_project_created_id", "project_id", "created_at", "id"),
    Index("ix_oauth_apps_project_name_id", "project_id", "name", "id"),
    Index("ix_oauth_apps_project_id_id", "project_id", "id"),
)

oauth_app_audit = Table(
    "oauth_app_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", String(64), nullable=False),
    Column("oauth_app_id", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("actor_type", String(32), nullable=False),
    Column("actor_id", String(128), nullable=False),
    Column("fields", JSON, nullable=False),
    Column("request_id", String(64), nullable=True),
    Column("at", UtcTimestamp(), nullable=False),
    # Newest first, per filter (docs/audit-log.md): each index ends in (at, id), the page's order,
    # so a page is one index range read that stops after LIMIT rows.
    Index("ix_oauth_app_audit_project_at_id", "project_id", "at", "id"),
    Index("ix_oauth_app_audit_project_app_at_id", "project_id", "oauth_app_id", "at", "id"),
    Index("ix_oauth_app_audit_project_actor_at_id", "project_id", "actor_type", "actor_id", "at", "id"),
    Index("ix_oauth_app_audit_project_action_at_id", "project_id", "action", "at", "id"),
)

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("alg", String(16), nullable=False),
    Column("private_jwk", Text, nullable=False),
    Column("created_at", UtcTimestamp(), nullable=False),
    Column("retired_at", UtcTimestamp(), nullable=True),
)

members = Table(
    "members",
    metadata,
    _id(),
    Column("project_id", String(64), ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("email", String(320), nullable=False),
    Column("password_hash", String(256), nullable=False),
    Column("nickname", String(256), nullable=False, default=""),
    Column("created_at", UtcTimestamp(), nullable=False),
    # Only APPROVED members get tokens.
    Column("status", String(16), nullable=False, default=MemberStatus.APPROVED.value, server_default=MemberStatus.APPROVED.value),
    # The profile page slug, unique in the project; a new member's is their id.
    Column("slug", String(255), nullable=False),
    Column("first_name", String(100), nullable=False, default="", server_default=""),
    Column("last_name", String(100), nullable=False, default="", server_default=""),
    Column("picture_url", String(2048), nullable=False, default="", server_default=""),
    Column("updated_at", UtcTimestamp(), nullable=False),
    # She typed a code mailed to her, or set a password through a mailed reset link.
    Column("email_verified", Boolean, nullable=False, default=False, server_default=sa_false()),
    UniqueConstraint("project_id", "email"),
    UniqueConstraint("project_id", "slug"),
)
# The console's member list, read as one index range per page (store/member_page.py): by name
# (ASCII-folded), and by email (on SQLite the unique index above is already in code-point order).
Index("ix_members_project_name", members.c.project_id, bytewise(ascii_lower(members.c.nickname)), members.c.id)
Index("ix_members_project_email_c", members.c.project_id, bytewise(members.c.email)).ddl_if(dialect="postgresql")

# A grant is one authorisation of a subject (visitor or member) for one OAuth app. Refresh tokens
# and access tokens belong to a grant; revoking or deleting the grant kills them all, and deleting
# the OAuth app deletes its grants (cascade).
grants = Table(
    "grants",
    metadata,
    _id(),
    Column("project_id", String(64), nullable=False),
    Column("oauth_app_id", String(64), ForeignKey("oauth_apps.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("subject_type", String(16), nullable=False),
    Column("subject_id", String(64), nullable=False),
    Column("member_id", String(64), ForeignKey("members.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("created_at", UtcTimestamp(), nullable=False),
    Column("revoked_at", UtcTimestamp(), nullable=True),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("token_hash", String(128), primary_key=True),
    Column("grant_id", String(64), ForeignKey("grants.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", UtcTimestamp(), nullable=False),
    Column("expires_at", UtcTimestamp(), nullable=False),
    Column("rotated_at", UtcTimestamp(), nullable=True),
    # The purge (store/purge.py) finds expired rows by these expires_at indexes, not by a scan.
    Index("ix_refresh_tokens_expires_at", "expires_at"),
)

# Single-use, short-lived secrets: authorization codes and login session tickets.
one_time_tokens = Table(
    "one_time_tokens",
    metadata,
    Column("token_hash", String(128), primary_key=True),
    Column("purpose", String(16), nullable=False),
    Column("project_id", String(64), nullable=False),
    Column("oauth_app_id", String(64), ForeignKey("oauth_apps.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("member_id", String(64), ForeignKey("members.id", ondelete="CASCADE"), nullable=True),
    Column("grant_id", String(64), nullable=True),
    Column("data", JSON, nullable=False),
    Column("created_at", UtcTimestamp(), nullable=False),
    Column("expires_at", UtcTimestamp(), nullable=False),
    Column("used_at", UtcTimestamp(), nullable=True),
    Index("ix_one_time_tokens_expires_at", "expires_at"),
)

# An email verification under way: the SDK's ``stateToken`` (as a hash) and the code mailed for
# it (an HMAC keyed by the stateToken), with its wrong tries. One per member at a time.
email_verifications = Table(
    "email_verifications",
    metadata,
    Column("state_hash", String(128), primary_key=True),
    Column("project_id", String(64), nullable=False),
    Column("member_id", String(64), ForeignKey("members.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("oauth_app_id", String(64), ForeignKey("oauth_apps.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("code_hash", String(128), nullable=False),
    Column("wrong_codes", Integer, nullable=False),
    Column("created_at", UtcTimestamp(), nullable=False),
    Column("code_expires_at", UtcTimestamp(), nullable=False),
    Column("expires_at", UtcTimestamp(), nullable=False),
    Index("ix_email_verifications_expires_at", "expires_at"),
)

# A member's signed-in browser session on the hosted pages (the session cookie).
member_sessions = Table(
    "member_sessions",
    metadata,
    Column("token_hash", String(128), primary_key=True),
    Column("project_id", String(64), nullable=False),
    Column("member_id", String(64), ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("oauth_app_id", String(64), ForeignKey("oauth_apps.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", UtcTimestamp(), nullable=False),
    Column("expires_at", UtcTimestamp(), nullable=False),
    Index("ix_member_sessions_expires_at", "expires_at"),
)

# Attempt counters for secrets people type (domain/attempt_limits.py), shared by every worker.
# ``key`` is a hash of (action, account or address, project); ``expires_at`` says when a row may
# be purged.
attempt_limits = Table(
    "attempt_limits",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("since", UtcTimestamp(), nullable=False),
    Column("retry_at", UtcTimestamp(), nullable=True),
    Column("expires_at", UtcTimestamp(), nullable=False, index=True),
)

# Project data (a compatible subset of Wix Data v2): collections with per-operation permissions,
# and items as JSON documents. JSONB on PostgreSQL so filters compare typed values safely.
data_collections = Table(
    "data_collections",
    metadata,
    Column("project_id", String(64), ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("permissions", JSON, nullable=False),
    Column("created_at", UtcTimestamp(), nullable=False),
    Column("display_name", String(256), nullable=True),  # shown by the console; null: the id
)

data_items = Table(
    "data_items",
    metadata,
    Column("project_id", String(64), primary_key=True),
    Column("collection_id", String(64), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("data", JSON().with_variant(JSONB(), "postgresql"), nullable=False),
    Column("owner_id", String(64), nullable=False),
    Column("created_at", UtcTimestamp(), nullable=False),
    Column("updated_at", UtcTimestamp(), nullable=False),
    ForeignKeyConstraint(["project_id", "collection_id"], ["data_collections.project_id", "data_collections.id"], ondelete="CASCADE"),
    Index("ix_data_items_collection_created", "project_id", "collection_id", "created_at"),
)

# What changed that a process may have cached (an OAuth app, a grant, an owner's API keys):
# written in the same transaction as the change, read by every process to evict its caches.
change_log = Table(
    "change_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("key", String(128), nullable=False),
    Column("at", UtcTimestamp(), nullable=False),
)

# Mails waiting for the mail server, written in the same transaction as the change that causes
# them (services/mail.py), sent by every server process's outbox sender (mail/sender.py). A sender
# claims rows (claimed_by, claimed_until) in one atomic UPDATE so that no two senders send one mail.
mail_outbox = Table(
    "mail_outbox",
    metadata,
    _id(),
    Column("project_id", String(64), ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("template", String(64), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("sender_name", String(128), nullable=False),
    Column("subject", Text, nullable=False),
    Column("body_text", Text, nullable=False),
    Column("body_html", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("rejections", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcTimestamp(), nullable=False),
    Column("claimed_by", String(128), nullable=True),
    Column("claimed_until", UtcTimestamp(), nullable=True),
    Column("last_error", String(512), nullable=True),
    Column("created_at", UtcTimestamp(), nullable=False),
    Column("finished_at", UtcTimestamp(), nullable=True),
    Index("ix_mail_outbox_status_next", "status", "next_attempt_at"),
    Index("ix_mail_outbox_project_created", "project_id", "created_at"),
)

# Console owners: people who sign in to the owner console (/console) with email and password,
# each a member of one or more projects with a role (domain/owners.py).
owners = Table(
    "owners",
    metadata,
    _id(),
    Column("email", String(320), nullable=False, unique=True),
    Column("password_hash", String(256), nullable=False),
    Column("created_at", UtcTimestamp(), nullable=False),
)

owner_projects = Table(
    "owner_projects",
    metadata,
    Column("owner_id", String(64), ForeignKey("owners.id", ondelete="CASCADE"), primary_key=True),
    Column("project_id", String(64), ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True, index=True),
    Column("role", String(16), nullable=False),
)

# A console sign-in (the console's session cookie holds the token; only its hash is kept).
owner_sessions = Table(
    "owner_sessions",
    metadata,
    Column("token_hash", String(128), primary_key=True),
    Column("owner_id", String(64), ForeignKey("owners.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", UtcTimestamp(), nullable=False),
    Column("last_seen_at", UtcTimestamp(), nullable=False),
    Column("expires_at", UtcTimestamp(), nullable=False),
    Index("ix_owner_sessions_expires_at", "expires_at"),
)

# The first answer to a write sent with an Idempotency-Key (domain/idempotency.py), per project
# and caller, written in the same transaction as the write; a retry with the key gets it again.
# Rows expire after a day (expires_at) and are purged now and then by the writes that add rows.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("project_id", String(64), ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("caller", String(200), primary_key=True),
    Column("idempotency_key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("response", JSON, nullable=False),
    Column("created_at", UtcTimestamp(), nullable=False),
    Column("expires_at", UtcTimestamp(), nullable=False, index=True),
)
