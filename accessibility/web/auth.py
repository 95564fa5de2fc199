"""Logins, sessions, CSRF tokens and the security headers of every page.

- A **session** is a signed cookie (``itsdangerous``, key kept in the workspace's store
  so every worker accepts it): the account id, its session epoch (changed when the
  account is disabled or its password changes, which ends its sessions) and the
  session's CSRF token. HttpOnly, SameSite=Lax, Secure when the page came over HTTPS.
- A **CSRF token** goes in every form (field ``csrf``) and in the ``X-CSRF-Token``
  header of the pages' own requests; a state-changing request authenticated by the
  cookie without it is refused (403). A script authenticates with its account's API
  token instead (``Authorization: Bearer acc_…``), which needs no CSRF token.
- **Logins** are throttled: the account locks after repeated wrong passwords
  (:mod:`accessibility.accounts`), and an address that keeps failing waits too.
- Every answer carries a **Content-Security-Policy** that forbids inline script (the
  citizen's page included); the API documentation page's own inline script is allowed
  by its hash alone.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from jinja2 import Environment
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accessibility import settings
from accessibility.accounts import Account, AccountStore
from accessibility.errors import LoginError
from accessibility.i18n import LANGUAGES, _, use_language
from accessibility.outputs.maps import BASEMAP_SCRIPTS
from accessibility.web.inputs import pick_language

__all__ = ["COOKIE", "Denied", "Office", "install_auth"]

#: The session cookie's name.
COOKIE = "accessibility_session"
#: The language cookie (set by ``?lang=`` on a page).
LANG_COOKIE = "accessibility_lang"
#: Methods that change nothing: no CSRF token asked.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Wrong logins from one address within ``IP_WINDOW_S`` after which it waits.
IP_MAX_FAILURES = 20
IP_WINDOW_S = 900.0
#: Paths whose answer may carry a request body this large (reports with photos, survey files).
_UPLOAD_PATHS = re.compile(r"^(/api/v1/reports|/survey/report|/survey/upload)$")


class Denied(Exception):
    """A request refused for want of an account (401), a role or a CSRF token (403)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Office:
    """What the pages and API of part 2 share: the city's service, the accounts, the
    session signer, the templates; made when the app is, filled when the city is loaded.

    Parameters
    ----------
    service
        Gives the app's running :class:`~accessibility.web.app.Service`.
    env
        The Jinja2 environment of the pages (the citizen page's).
    """

    def __init__(self, service: Callable[[], Any], env: Environment) -> None:
        self._service = service
        self.env = env
        self._signer: URLSafeTimedSerializer | None = None
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    @property
    def service(self) -> Any:
        return self._service()

    @property
    def city(self) -> Any:
        return self._service().city

    @property
    def accounts(self) -> AccountStore:
        return AccountStore.of_workspace(self.city.path)

    @property
    def signer(self) -> URLSafeTimedSerializer:
        if self._signer is None:
            self._signer = URLSafeTimedSerializer(self.accounts.secret(), salt="accessibility-session")
        return self._signer

    # --- language and pages -----------------------------------------------------------

    def language(self, request: Request) -> str:
        """``?lang=``, else the language cookie, else ``Accept-Language``, else Italian."""
        asked = request.query_params.get("lang")
        if asked and asked in LANGUAGES:
            return asked
        return pick_language(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))

    def render(self, request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        """A page from its template, in the request's language, with what every page of
        the office shows (the account, the CSRF token, the language switch)."""
        lang = self.language(request)
        account: Account | None = getattr(request.state, "account", None)
        other = {"it": "en", "en": "it"}[lang]
        with use_language(lang):
            html = self.env.get_template(name).render(
                lang=lang,
                other_lang=other,
                other_lang_name={"it": "Italiano", "en": "English"}[other],
                account=account,
                csrf=self.csrf(request),
                path=request.url.path,
                city_name=self.city.meta.get("name") or "",
                basemap_scripts=list(BASEMAP_SCRIPTS) if self.city.basemap else [],
                **context,
            )
        response = HTMLResponse(html, status_code=status, headers={"Content-Language": lang})
        if request.query_params.get("lang") in LANGUAGES:
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
        response.headers["Cache-Control"] = "no-store"
        return response

    # --- sessions ---------------------------------------------------------------------

    def session(self, request: Request) -> dict[str, Any]:
        """The request's session (signed cookie), ``{}`` when there is none or it is not ours."""
        if hasattr(request.state, "session"):
            return request.state.session
        raw = request.cookies.get(COOKIE)
        data: dict[str, Any] = {}
        if raw:
            try:
                loaded = self.signer.loads(raw, max_age=settings.session_max_age_s)
                data = loaded if isinstance(loaded, dict) else {}
            except BadSignature:
                data = {}
        request.state.session = data
        return data

    def start_session(self, request: Request, data: dict[str, Any]) -> None:
        """Replace the request's session (sent back as a cookie by the middleware)."""
        request.state.session = data
        request.state.session_changed = True

    def csrf(self, request: Request) -> str:
        """The session's CSRF token (a session is started for a visitor who has none)."""
        session = self.session(request)
        if not isinstance(session.get("c"), str):
            self.start_session(request, {**session, "c": secrets.token_urlsafe(32)})
            session = request.state.session
        return str(session["c"])

    async def account(self, request: Request) -> Account | None:
        """Who makes the request: an API token (``Authorization: Bearer``), else the
        session's account (still enabled, same epoch), else ``None``."""
        if hasattr(request.state, "account"):
            return request.state.account
        found: Account | None = None
        request.state.by_token = False
        header = request.headers.get("authorization", "")
        if header[:7].lower() == "bearer ":
            found = await asyncio.to_thread(self.accounts.by_token, header[7:].strip())
            if found is None:
                raise Denied(401, _("the API token is not valid (or its account is disabled)"))
            request.state.by_token = True
        else:
            session = self.session(request)
            if isinstance(session.get("a"), int):
                candidate = await asyncio.to_thread(self.accounts.by_id, session["a"])
                if candidate is not None and not candidate.disabled and candidate.epoch == session.get("e"):
                    found = candidate
        request.state.account = found
        return found

    async def check_csrf(self, request: Request) -> None:
        """Refuse (403) a state-changing request made with the session cookie whose CSRF
        token (``X-CSRF-Token`` header or ``csrf`` form field) is not the session's."""
        if request.method in SAFE_METHODS or getattr(request.state, "by_token", False):
            return
        expected = self.session(request).get("c")
        given = request.headers.get("x-csrf-token")
        if given is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            form = await self.form(request)
            value = form.get("csrf")
            given = value if isinstance(value, str) else None
        if not (isinstance(expected, str) and given and hmac.compare_digest(expected, given)):
            raise Denied(403, _("the form has expired or did not come from this site: reload the page and try again"))

    async def form(self, request: Request) -> Any:
        """The request's form (parsed once), with bounded fields and files."""
        return await request.form(max_files=settings.web_photos_per_report + 1, max_fields=60, max_part_size=64 * 1024)

    async def require(self, request: Request, *roles: str) -> Account:
        """The account making the request, holding one of ``roles``, its CSRF token
        checked when the request changes something.

        Raises
        ------
        Denied
            401 without an account, 403 without the role or the CSRF token.
        """
        account = await self.account(request)
        if account is None:
            raise Denied(401, _("log in first"))
        if not account.can(*roles):
            raise Denied(403, _("your account may not do this"))
        await self.check_csrf(request)
        return account

    # --- login throttling by address --------------------------------------------------

    def _address_blocked(self, address: str) -> bool:
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._failures.get(address, []) if now - t < IP_WINDOW_S]
            self._failures[address] = recent
            return len(recent) >= IP_MAX_FAILURES

    def _address_failed(self, address: str) -> None:
        with self._lock:
            self._failures.setdefault(address, []).append(time.monotonic())


def _home(account: Account) -> str:
    return "/office/review" if account.can("manager") else "/survey"


def _safe_next(value: Any) -> str | None:
    """A path on this site to go back to after login (never another site)."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    parts = urlsplit(value)
    return None if parts.scheme or parts.netloc else value[:500]


def _csp(request: Request, office: Office, extra_scripts: list[str]) -> str:
    img = ["'self'", "data:", "blob:"]
    try:
        tiles = office.service.tiles_url
    except KeyError:  # before the city is loaded
        tiles = None
    if tiles:
        parts = urlsplit(tiles)
        if parts.scheme in {"http", "https"} and parts.netloc:
            img.append(f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}")
    scripts = ["'self'", *extra_scripts]
    return (
        f"default-src 'self'; script-src {' '.join(scripts)}; style-src 'self' 'unsafe-inline'; "
        f"img-src {' '.join(img)}; connect-src 'self'; font-src 'self' data:; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)


class SecurityMiddleware:
    """Security headers and the CSP on every answer; the session cookie when it changed;
    oversized uploads refused from their declared length.

    A plain ASGI middleware that edits the answer's headers as they pass: Starlette's
    ``BaseHTTPMiddleware`` ran every request in an extra task through memory streams
    (0.4-0.5 ms of CPU per request on this machine). Only the pages whose inline
    scripts are allowed by hash (the API documentation, audit files) are held whole
    until their body is known."""

    def __init__(self, app: ASGIApp, office: Office) -> None:
        self.app = app
        self.office = office

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        path: str = scope["path"]
        hashed = path == "/api/docs" or path.startswith("/office/audit/files/")
        held: Message | None = None
        chunks: list[bytes] = []

        async def secured(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if hashed and headers.get("content-type", "").startswith("text/html"):
                    held = message  # sent with the body, once its inline scripts are known
                    return
                self._secure(request, headers, [])
                await send(message)
            elif held is not None and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = b"".join(chunks)
                headers = MutableHeaders(scope=held)
                text = gzip.decompress(body) if headers.get("content-encoding") == "gzip" else body
                extra = [
                    f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
                    for script in _INLINE_SCRIPT.findall(text)
                ]
                headers["content-length"] = str(len(body))
                self._secure(request, headers, extra)
                await send(held)
                await send({"type": "http.response.body", "body": body, "more_body": False})
            else:
                await send(message)

        if scope["method"] == "POST" and _UPLOAD_PATHS.match(path):
            length = request.headers.get("content-length")
            limit = max(settings.web_report_max_bytes, settings.web_upload_max_bytes)
            if length is not None and (not length.isdigit() or int(length) > limit):
                with use_language(self.office.language(request)):
                    message = _("the request is too large: at most {mb} MB").format(mb=limit // (1024 * 1024))
                refused = JSONResponse({"error": {"status": 413, "message": message, "parameter": None}}, 413)
                await refused(scope, receive, secured)  # with the headers too
                return
        await self.app(scope, receive, secured)

    def _secure(self, request: Request, headers: MutableHeaders, extra: list[str]) -> None:
        headers["Content-Security-Policy"] = _csp(request, self.office, extra)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "same-origin"
        headers["X-Frame-Options"] = "DENY"
        if getattr(request.state, "session_changed", False):
            cookie = Response()
            cookie.set_cookie(
                COOKIE,
                self.office.signer.dumps(request.state.session),
                max_age=settings.session_max_age_s,
                httponly=True,
                samesite="lax",
                secure=request.url.scheme == "https",
                path="/",
            )
            for key, value in cookie.raw_headers:
                if key == b"set-cookie":
                    headers.append("set-cookie", value.decode("latin-1"))


def install_auth(app: FastAPI, office: Office) -> None:
    """Add the login and logout pages, the ``Denied`` answers and the security middleware."""
    app.add_middleware(SecurityMiddleware, office=office)

    @app.exception_handler(Denied)
    async def denied(request: Request, exc: Denied) -> Response:
        with use_language(office.language(request)):
            wants_html = request.url.path.startswith(("/survey", "/office", "/login", "/logout")) and not (
                request.headers.get("x-csrf-token") or request.headers.get("authorization")
            )
            if exc.status == 401 and wants_html and request.method in SAFE_METHODS:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse("/login?next=" + quote(target, safe=""), status_code=303)
            if wants_html:
                return office.render(request, "office_message.html", exc.status, title=exc.message, message="")
            return JSONResponse(
                {"error": {"status": exc.status, "message": str(exc.message), "parameter": None}},
                status_code=exc.status,
                headers={"WWW-Authenticate": "Bearer"} if exc.status == 401 else None,
            )

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    async def login_page(request: Request) -> Response:
        account = await office.account(request)
        if account is not None:
            return RedirectResponse(_safe_next(request.query_params.get("next")) or _home(account), status_code=303)
        with use_language(office.language(request)):
            return office.render(
                request, "login.html", next=_safe_next(request.query_params.get("next")) or "", error=None
            )

    @app.post("/login", response_class=HTMLResponse, include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await office.form(request)
        next_path = _safe_next(form.get("next")) or ""
        address = request.client.host if request.client else "?"
        with use_language(office.language(request)):
            await office.check_csrf(request)
            name, password = form.get("name"), form.get("password")
            if not isinstance(name, str) or not isinstance(password, str) or not name.strip():
                return office.render(
                    request, "login.html", 400, next=next_path, error=_("write your account name and password")
                )
            if office._address_blocked(address):
                return office.render(
                    request,
                    "login.html",
                    429,
                    next=next_path,
                    error=_("too many failed logins from this address: wait a few minutes and try again"),
                )
            try:
                account = await asyncio.to_thread(office.accounts.login, name.strip(), password)
            except LoginError as exc:
                office._address_failed(address)
                status = 429 if getattr(exc, "reason", "") == "locked" else 401
                return office.render(request, "login.html", status, next=next_path, error=str(exc))
        office.start_session(request, {"a": account.id, "e": account.epoch, "c": secrets.token_urlsafe(32)})
        request.state.account = account
        return RedirectResponse(next_path or _home(account), status_code=303)

    @app.post("/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        with use_language(office.language(request)):
            await office.check_csrf(request)
        office.start_session(request, {"c": secrets.token_urlsafe(32)})
        return RedirectResponse("/login", status_code=303)
