"""The guestbook site: Flask, server-rendered, no JavaScript, on the oauthapps Python SDK.

Who does what, and with which token:

* every browser gets **visitor tokens** (``OAuthStrategy``, anonymous grant) on its first page,
  kept in its Flask session cookie (signed, HttpOnly) and renewed from the refresh token;
* **Sign in** creates a redirect session (``get_auth_url``, PKCE, ``response_mode=query``) and
  sends the browser to the hosted login; ``/callback`` trades the code for **member tokens**
  (``parse_from_url`` + ``get_member_tokens``); **Sign out** asks for the logout URL (``logout``);
* members write entries with their own token: the ``Guestbook`` collection lets anyone read,
  members insert, and only an entry's author update or remove it. The page shows *Edit* only on
  your own entries, but that is cosmetic: the server decides, and a refusal becomes an error page;
* ``/admin`` (behind ``GUESTBOOK_ADMIN_PASSWORD``; off while it is unset) moderates with the OAuth
  app's **admin token** (``ClientCredentialsStrategy`` with ``OAUTHAPPS_CLIENT_SECRET``), which
  may delete any entry. The secret stays in this process; it never reaches a browser;
* when the server says the OAuth app is gone (``invalid_client`` from the token endpoint, or a
  401 from the API that a fresh anonymous grant confirms is ``invalid_client``), every page is
  "This site is no longer connected" (HTTP 503).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from flask import Flask, Response, flash, g, redirect, render_template, request, session, url_for
from werkzeug.exceptions import HTTPException

from oauthapps.sdk import (
    ApiError,
    AuthorizationError,
    Client,
    ClientCredentialsStrategy,
    NotFoundError,
    OAuthAppsError,
    OAuthData,
    OAuthStrategy,
    PermissionDeniedError,
    TokenError,
    Tokens,
    UnauthenticatedError,
    ValidationError,
    create_client,
    data,
    members,
)

from .settings import COLLECTION, PERMISSIONS, Settings

log = logging.getLogger("guestbook")

PAGE_SIZE = 20
MAX_NAME = 80
MAX_MESSAGE = 2000
COLLECTION_NOT_FOUND = "WDE0025"
__all__ = ["COLLECTION", "PERMISSIONS", "create_app"]


class Backend:
    """What the site shares between requests: settings, one HTTP connection pool, and the admin
    client (its cached admin token serves every admin request until it expires)."""

    def __init__(self, settings: Settings, http: httpx.Client) -> None:
        self.settings = settings
        self.http = http
        self._admin: Client[ClientCredentialsStrategy[Any]] | None = None
        self._lock = threading.Lock()

    def site_client(self, tokens: Tokens | None) -> Client[OAuthStrategy[Any]]:
        """One client per request: the strategy holds this browser's tokens."""
        auth: OAuthStrategy[Any] = OAuthStrategy(self.settings.client_id, tokens=tokens)
        return create_client(auth=auth, modules=[data, members], base_url=self.settings.oauthapps_url, http_client=self.http)

    def admin_client(self) -> Client[ClientCredentialsStrategy[Any]]:
        with self._lock:
            if self._admin is None:
                auth: ClientCredentialsStrategy[Any] = ClientCredentialsStrategy(self.settings.client_id, self.settings.client_secret)
                self._admin = create_client(auth=auth, modules=[data], base_url=self.settings.oauthapps_url, http_client=self.http)
            return self._admin

    def client_gone(self) -> bool:
        """Ask the token endpoint whether our client ID still exists: a fresh anonymous grant
        answers ``invalid_client`` once the OAuth app was deleted."""
        probe = create_client(
            auth=OAuthStrategy(self.settings.client_id), modules=[], base_url=self.settings.oauthapps_url, http_client=self.http
        )
        try:
            probe.auth.generate_visitor_tokens()
        except TokenError as err:
            return err.error == "invalid_client"
        return False


# --- small helpers ---------------------------------------------------------------------------------


def backend() -> Backend:
    from flask import current_app

    return current_app.extensions["guestbook"]  # type: ignore[no-any-return]


def site_url() -> str:
    """This site's public URL: GUESTBOOK_SITE_URL, else the one the browser used."""
    return backend().settings.site_url or request.host_url.rstrip("/")


def safe_next(value: str | None) -> str:
    """Only a local path: never send the browser elsewhere after sign-in."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else "/"


def site_client() -> Client[OAuthStrategy[Any]]:
    if "client" not in g:
        raw = session.get("tokens")
        tokens = None
        if isinstance(raw, Mapping):
            try:
                tokens = Tokens.from_dict(dict(raw))
            except (ValueError, TypeError):
                tokens = None
        g.had_tokens = tokens is not None
        g.client = backend().site_client(tokens)
    return g.client  # type: ignore[no-any-return]


def current_member() -> dict[str, str] | None:
    member = session.get("member")
    return member if isinstance(member, dict) and member.get("id") else None


def forget_user() -> None:
    """Drop this browser's tokens and member (they were refused, or the site is gone)."""
    for key in ("tokens", "member", "login"):
        session.pop(key, None)
    g.drop_tokens = True


def admin_mark(password: str) -> str:
    """What the session keeps for a signed-in admin: changes when the password does."""
    key = backend().settings.secret_key.encode() or b"guestbook"
    return hmac.new(key, b"admin:" + password.encode(), hashlib.sha256).hexdigest()


def is_admin() -> bool:
    password = backend().settings.admin_password
    mark = session.get("admin")
    return bool(password) and isinstance(mark, str) and hmac.compare_digest(mark, admin_mark(password))


def csrf_token() -> str:
    token = session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(template, **context), status


def message(title: str, text: str, status: int, *, detail: str = "", links: bool = True) -> tuple[str, int]:
    return page("message.html", status, title=title, text=text, detail=detail, links=links)


def disconnected() -> tuple[str, int]:
    return page("disconnected.html", 503)


def entry_view(item: Mapping[str, Any]) -> dict[str, Any]:
    created = item.get("_createdDate")
    updated = item.get("_updatedDate")
    member = current_member()
    return {
        "id": str(item.get("_id", "")),
        "name": str(item.get("name") or "Someone"),
        "message": str(item.get("message") or ""),
        "created": created if isinstance(created, datetime) else None,
        "edited": isinstance(created, datetime) and isinstance(updated, datetime) and updated > created,
        "own": bool(member) and item.get("_owner") == member["id"],  # cosmetic: the server decides
    }


def read_entry_form() -> tuple[dict[str, str], dict[str, str]]:
    fields = {"name": request.form.get("name", "").strip(), "message": request.form.get("message", "").strip()}
    errors: dict[str, str] = {}
    if not fields["name"]:
        errors["name"] = "Enter your name."
    elif len(fields["name"]) > MAX_NAME:
        errors["name"] = f"Your name can have at most {MAX_NAME} characters."
    if not fields["message"]:
        errors["message"] = "Enter a message."
    elif len(fields["message"]) > MAX_MESSAGE:
        errors["message"] = f"A message can have at most {MAX_MESSAGE} characters."
    return fields, errors


def page_number() -> int:
    raw = request.args.get("page", "1")
    return max(1, min(int(raw), 10_000)) if raw.isdigit() else 1


def format_date(value: datetime | None) -> str:
    if value is None:
        return ""
    moment = value.astimezone(UTC)
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


# --- the app ---------------------------------------------------------------------------------------


def create_app(settings: Settings | None = None, http_client: httpx.Client | None = None) -> Flask:
    settings = settings or Settings.load()
    app = Flask(__name__)
    if not settings.secret_key:
        log.warning("GUESTBOOK_SECRET_KEY is not set: using a random key, so sessions end when the site restarts")
        settings = Settings(**{**settings.__dict__, "secret_key": secrets.token_hex(32)})
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME="guestbook_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.site_url.startswith("https://"),
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    app.extensions["guestbook"] = Backend(settings, http_client or httpx.Client(timeout=15))
    server_origin = ""
    if settings.oauthapps_url:
        parts = urlsplit(settings.oauthapps_url)
        server_origin = f"{parts.scheme}://{parts.netloc}"
    app.jinja_env.globals.update(
        csrf_token=csrf_token,
        current_member=current_member,
        is_admin=is_admin,
        admin_enabled=lambda: bool(backend().settings.admin_password),
    )
    app.jinja_env.filters["date"] = format_date

    @app.before_request
    def guard() -> Any:
        if request.endpoint == "static":
            return None
        if not backend().settings.connected:
            return message(
                "This site is not connected yet",
                "The guestbook does not know its sign-in and data service yet.",
                503,
                detail="Run  python -m examples.guestbook.connect  (see examples/guestbook/README.md).",
                links=False,
            )
        if request.method == "POST":
            sent = request.form.get("csrf_token", "")
            if not sent or not hmac.compare_digest(sent.encode(), csrf_token().encode()):
                return message("This form has expired", "Go back, reload the page and try again.", 400)
        return None

    @app.after_request
    def keep_tokens_and_secure(response: Response) -> Response:
        client = g.get("client")
        if g.get("drop_tokens"):
            session.pop("tokens", None)
        elif client is not None:
            tokens = client.auth.get_tokens()
            saved = tokens.to_dict() if tokens.access_token.value else None
            if saved is None:
                session.pop("tokens", None)
            elif saved != session.get("tokens"):
                session["tokens"] = saved
            if tokens.refresh_token.role != "member":
                session.pop("member", None)
        response.headers.setdefault(
            "Content-Security-Policy",
            (
                "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'; "
                # Sign out posts here and is redirected to the server's logout page.
                f"form-action 'self' {server_origin}".rstrip()
            ),
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    # --- errors: what the server said, as pages -------------------------------------------------

    @app.errorhandler(OAuthAppsError)
    def sdk_error(err: OAuthAppsError) -> Any:
        admin_request = request.path.startswith("/admin")
        if isinstance(err, TokenError) and err.status >= 500:
            return message("Something went wrong", "The sign-in and data service had a problem. Please try again.", 502)
        if isinstance(err, (UnauthenticatedError, TokenError)):
            try:
                gone = backend().client_gone()
            except httpx.HTTPError:
                return unreachable()
            if gone:
                forget_user()
                session.pop("admin", None)
                return disconnected()
            if admin_request:
                backend().admin_client().auth.invalidate()
                if isinstance(err, TokenError):
                    return message(
                        "The admin credentials were refused",
                        "The server does not accept this site's OAUTHAPPS_CLIENT_SECRET (was it rotated?).",
                        502,
                        detail="Run connect again, or put the current secret in the env file.",
                    )
                return message("Please try again", "The admin token was refused; a new one will be fetched.", 502)
            # This browser's tokens were refused (revoked, or its member signed out elsewhere).
            had_tokens = g.get("had_tokens", False)
            forget_user()
            if had_tokens:
                flash("Your sign-in has ended. Please sign in again.")
                return redirect(url_for("index"), 303)
            return message("Something went wrong", "The sign-in and data service refused this site's request.", 502)
        if isinstance(err, AuthorizationError):
            return message("Sign-in did not complete", "Please try signing in again.", 400, detail=err.error)
        if isinstance(err, NotFoundError) and err.code == COLLECTION_NOT_FOUND:
            return message(
                "This site is not set up yet",
                f"The {COLLECTION} collection does not exist.",
                503,
                detail="Run  python -m examples.guestbook.connect  to create it.",
            )
        if isinstance(err, NotFoundError):
            return message("Not found", "That entry does not exist (any more).", 404)
        if isinstance(err, PermissionDeniedError):
            return message("Not allowed", "The guestbook's server refused this.", 403, detail=err.message)
        if isinstance(err, ApiError):
            return message(
                "Something went wrong",
                "The sign-in and data service refused the request.",
                502,
                detail=f"{err.status} {err.code}" + (f" (request id {err.request_id})" if err.request_id else ""),
            )
        raise err

    @app.errorhandler(httpx.HTTPError)
    def unreachable(_err: Exception | None = None) -> Any:
        return message("The guestbook is unavailable", "This site cannot reach its sign-in and data service right now.", 502)

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException) -> Any:
        return message(err.name, err.description or "", err.code or 500)

    # --- visitors and members -----------------------------------------------------------------

    def render_index(status: int = 200, form: Mapping[str, str] | None = None, errors: Mapping[str, str] | None = None) -> Any:
        number = page_number()
        query = site_client().data.query(COLLECTION).descending("_createdDate").limit(PAGE_SIZE)
        found = query.skip((number - 1) * PAGE_SIZE).find()
        member = current_member()
        return page(
            "index.html",
            status,
            entries=[entry_view(item) for item in found],
            page_no=number,
            has_next=found.has_next(),
            total=found.total_count,
            form=form or {"name": member["name"] if member else "", "message": ""},
            errors=errors or {},
        )

    @app.get("/")
    def index() -> Any:
        return render_index()

    @app.post("/entries")
    def create_entry() -> Any:
        fields, errors = read_entry_form()
        if errors:
            return render_index(400, fields, errors)
        try:
            item = site_client().data.insert(COLLECTION, fields)
        except PermissionDeniedError:
            return message("Sign in to write", "Only signed-in members can write in the guestbook.", 403)
        flash("Thank you! Your entry is in the guestbook.")
        return redirect(url_for("index") + f"#entry-{item['_id']}", 303)

    @app.get("/entries/<item_id>/edit")
    def edit_entry(item_id: str) -> Any:
        # No ownership check here on purpose: saving is what the server allows or refuses.
        item = site_client().data.get(COLLECTION, item_id)
        return page("edit.html", entry=entry_view(item), form={"name": item.get("name", ""), "message": item.get("message", "")}, errors={})

    @app.post("/entries/<item_id>/edit")
    def save_entry(item_id: str) -> Any:
        fields, errors = read_entry_form()
        if errors:
            return page("edit.html", 400, entry={"id": item_id}, form=fields, errors=errors)
        try:
            site_client().data.update(COLLECTION, fields, id=item_id)
        except PermissionDeniedError as err:
            return message(
                "You can only change your own entries",
                "The guestbook's server refused to save this: the entry belongs to someone else.",
                403,
                detail=err.message,
            )
        except NotFoundError:
            return message("Not found", "That entry does not exist (any more).", 404)
        flash("Your entry was updated.")
        return redirect(url_for("index") + f"#entry-{item_id}", 303)

    @app.post("/entries/<item_id>/delete")
    def delete_entry(item_id: str) -> Any:
        try:
            site_client().data.remove(COLLECTION, item_id)
        except PermissionDeniedError as err:
            return message(
                "You can only delete your own entries",
                "The guestbook's server refused to delete this: the entry belongs to someone else.",
                403,
                detail=err.message,
            )
        except NotFoundError:
            return message("Not found", "That entry does not exist (any more).", 404)
        flash("Your entry was deleted.")
        return redirect(url_for("index"), 303)

    # --- sign in and out ---------------------------------------------------------------------

    @app.get("/login")
    def login() -> Any:
        next_url = safe_next(request.args.get("next"))
        if current_member():
            return redirect(next_url, 303)
        client = site_client()
        oauth = client.auth.generate_oauth_data(site_url() + "/callback", original_uri=next_url)
        try:
            auth = client.auth.get_auth_url(oauth, response_mode="query")
        except ValidationError as err:
            # e.g. REDIRECT_URI_NOT_APPROVED: the OAuth app no longer approves this site's address.
            rules = ", ".join(v.violated_rule for v in err.violations) or err.code
            return message(
                "Signing in is not available",
                "The sign-in service did not approve this site's address, so you cannot sign in here right now.",
                502,
                detail=rules,
            )
        session["login"] = oauth.to_dict()
        return redirect(auth.auth_url, 303)

    @app.get("/callback")
    def callback() -> Any:
        pending = session.pop("login", None)
        client = site_client()
        returned = client.auth.parse_from_url(request.url, response_mode="query")
        if returned.error == "access_denied":
            flash("Sign-in was cancelled.")
            return redirect(safe_next((pending or {}).get("original_uri")), 303)
        try:
            returned.raise_for_error()
            if not isinstance(pending, dict):
                raise AuthorizationError("invalid_state", "This sign-in was not started here, or it was already used")
            oauth = OAuthData.from_dict(pending)
            tokens = client.auth.get_member_tokens(returned.code, returned.state, oauth)
        except AuthorizationError as err:
            return message("Sign-in did not complete", "Please try signing in again.", 400, detail=err.error)
        except TokenError as err:
            if err.error != "invalid_grant":
                raise
            return message(
                "Sign-in did not complete", "The sign-in took too long or was already used. Please try again.", 400, detail=err.error
            )
        client.auth.set_tokens(tokens)
        me = client.members.get_current_member()
        nickname = str((me.get("profile") or {}).get("nickname") or me.get("loginEmail") or "member")
        session["member"] = {"id": str(me.get("id")), "name": nickname, "email": str(me.get("loginEmail") or "")}
        session["csrf"] = secrets.token_urlsafe(32)  # a new form token for the new identity
        flash(f"Welcome, {nickname}! You are signed in.")
        return redirect(safe_next(oauth.original_uri), 303)

    @app.post("/logout")
    def logout() -> Any:
        client = site_client()
        session.pop("member", None)
        try:
            out = client.auth.logout(site_url() + "/")  # clears this client's tokens
        except ValidationError:
            # The server would not send the browser back here (domain no longer approved):
            # sign out of this site only.
            client.auth.set_tokens(Tokens())
            flash("You are signed out of this site.")
            return redirect(url_for("index"), 303)
        flash("You are signed out.")
        return redirect(out.logout_url, 303)

    # --- admin -------------------------------------------------------------------------------

    def admin_off() -> Any:
        return message("Admin is switched off", "Set GUESTBOOK_ADMIN_PASSWORD to moderate this guestbook.", 403)

    @app.get("/admin")
    def admin() -> Any:
        if not settings.admin_password:
            return admin_off()
        if not is_admin():
            return page("admin_login.html", error="")
        if not settings.client_secret:
            return message("Admin needs the client secret", "Set OAUTHAPPS_CLIENT_SECRET (connect writes it).", 503)
        number = page_number()
        query = backend().admin_client().data.query(COLLECTION).descending("_createdDate").limit(PAGE_SIZE)
        found = query.skip((number - 1) * PAGE_SIZE).find()
        return page(
            "admin.html", entries=[entry_view(item) for item in found], page_no=number, has_next=found.has_next(), total=found.total_count
        )

    @app.post("/admin/login")
    def admin_login() -> Any:
        if not settings.admin_password:
            return admin_off()
        given = request.form.get("password", "")
        if not hmac.compare_digest(given.encode(), settings.admin_password.encode()):
            return page("admin_login.html", 401, error="That password is not right.")
        session["admin"] = admin_mark(settings.admin_password)
        session["csrf"] = secrets.token_urlsafe(32)
        return redirect(url_for("admin"), 303)

    @app.post("/admin/logout")
    def admin_logout() -> Any:
        session.pop("admin", None)
        flash("You left the admin page.")
        return redirect(url_for("index"), 303)

    @app.post("/admin/entries/<item_id>/delete")
    def admin_delete(item_id: str) -> Any:
        if not is_admin():
            return redirect(url_for("admin"), 303)
        try:
            backend().admin_client().data.remove(COLLECTION, item_id)
            flash("The entry was deleted.")
        except NotFoundError:
            flash("That entry was already gone.")
        return redirect(url_for("admin"), 303)

    return app
