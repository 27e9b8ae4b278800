"""Who may use the UI: the bearer token (header, cookie, or once in the address), the Host a
loopback-only UI answers to (against DNS rebinding), and same-origin form posts.

A browser cannot send an Authorization header from a link, so `?token=...` (the address
`otel-replay ui` prints) sets an HttpOnly, SameSite=Strict cookie and redirects to the same
page without it. Every state-changing form also carries a per-process CSRF token.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "otel_replay_ui"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)


@dataclass(frozen=True)
class Access:
    """The UI's access rules: a token to require (None: none), and whether only loopback
    Host names are answered (a UI bound to loopback without a token)."""

    token: str | None = None
    loopback_only: bool = True
    csrf_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    def token_matches(self, given: str) -> bool:
        return self.token is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def csrf_matches(self, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self.csrf_token.encode())


def _host_name(host_header: str) -> str:
    if host_header.startswith("["):
        return host_header[1:].split("]", 1)[0]
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


def _given_token(headers: Headers) -> str:
    authorization = headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    cookie = SimpleCookie()
    try:
        cookie.load(headers.get("cookie", ""))
    except Exception:  # a malformed Cookie header is no token
        return ""
    morsel = cookie.get(COOKIE)
    return morsel.value if morsel is not None else ""


class AccessGuard:
    """ASGI middleware enforcing `Access` and adding the security headers to every answer."""

    def __init__(self, app: ASGIApp, access: Access) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                raw += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                ]
                message = {**message, "headers": raw}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _refusal(self, scope: Scope) -> Response | None:
        headers = Headers(scope=scope)
        access = self.access
        host = headers.get("host", "")
        if access.loopback_only and _host_name(host) not in LOOPBACK_HOSTS:
            return PlainTextResponse(f"this UI answers on loopback only, not {host!r}", 421)
        if scope["method"] not in ("GET", "HEAD"):
            origin = headers.get("origin")
            if origin is not None and urlsplit(origin).netloc != host:
                return PlainTextResponse("cross-origin request refused", 403)
        if access.token is None:
            return None
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        if "token" in query and scope["method"] == "GET":
            if not access.token_matches(query.pop("token")):
                return PlainTextResponse("wrong token", 401)
            target = scope.get("root_path", "") + scope["path"]
            if query:
                target += "?" + urlencode(query)
            redirect = RedirectResponse(target, 303)
            redirect.set_cookie(
                COOKIE,
                access.token,
                httponly=True,
                samesite="strict",
                secure=scope.get("scheme") == "https",
            )
            return redirect
        if access.token_matches(_given_token(headers)):
            return None
        return PlainTextResponse(
            "unauthorised: open the address that `otel-replay ui` printed (it carries "
            "?token=...), or send 'Authorization: Bearer TOKEN'",
            401,
        )
