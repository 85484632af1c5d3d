"""Security headers (a strict Content-Security-Policy: no inline script or style anywhere),
CSRF tokens for the volunteer forms, and the signed-in volunteer."""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlparse

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.settings import origin_of

CSRF_FIELD = "csrf_token"


def content_security_policy(rasa_public_url: str) -> str:
    parsed = urlparse(rasa_public_url)
    ws_scheme = "wss" if parsed.scheme == "https" else "ws"
    rasa = f"{parsed.scheme}://{parsed.netloc} {ws_scheme}://{parsed.netloc}" if parsed.netloc else ""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src 'self' {rasa}".strip(),
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ]
    )


class SecurityHeaders:
    """Adds the headers to every response; widget assets may be loaded by other sites' pages."""

    def __init__(self, app: ASGIApp, csp: str) -> None:
        self.app, self.csp = app, csp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        embeddable = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", self.csp)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
                if embeddable:
                    headers["Cross-Origin-Resource-Policy"] = "cross-origin"
                else:
                    headers["X-Frame-Options"] = "DENY"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def check_csrf(request: Request, submitted: object) -> None:
    """A form POST must carry this session's token and, when the browser sends an Origin, come from us."""
    expected = request.session.get("csrf")
    if not expected or not isinstance(submitted, str) or not hmac.compare_digest(expected, submitted):
        raise HTTPException(403, "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Vui lòng tải lại trang.")
    # Compared with the configured origin, never the request's Host (which the client writes);
    # "null" (sandboxed frames, some redirects) is refused like any foreign origin.
    origin = request.headers.get("origin")
    if origin is not None and origin_of(origin) != request.app.state.settings.public_origin:
        raise HTTPException(403, "Yêu cầu không đến từ trang của chúng tôi.")


def client_address(request: Request) -> str:
    """The key of the per-address rate limits. uvicorn takes it from X-Forwarded-For only when the
    connection comes from one of WEB_TRUSTED_PROXIES (scripts/run-web), so clients cannot forge it."""
    return request.client.host if request.client else "unknown"
