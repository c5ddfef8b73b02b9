"""ASGI middleware for every connection: security headers, body limits, rate limits, Origins.

* HTTP: answers 413 for a declared body over ``max_body_bytes`` (a streamed body over it ends
  the request), 429 with ``Retry-After`` once the bucket of the caller (API key, else IP) is
  empty, and adds CSP, ``X-Content-Type-Options``, ``X-Frame-Options`` and ``Referrer-Policy``.
* WebSocket: refuses the handshake (403) from a browser Origin that is not allowed (the
  ``allowed_origins`` setting, else the same host), and rate-limits frames per socket: an
  over-limit frame is dropped and answered with an ``error`` frame of code ``rate_limited``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from litestar.middleware import DefineMiddleware

from kefu.security.ratelimit import TokenBucket, retry_after_header
from kefu.security.service import Security

# Plain ASGI types: the middleware rewrites messages freely.
Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The Content-Security-Policy of every page and answer (the API docs load their own assets).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
_DOCS_PREFIX = "/schema"
_EXEMPT = ("/health/", "/api/health", "/metrics")
_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def origin_allowed(origin: str | None, host: str | None, allowed: list[str]) -> bool:
    """Whether a WebSocket from a page at ``origin`` may connect to ``host``."""
    if origin is None:
        return True  # not a browser: Origin checks protect browsers' users only
    if allowed:
        return origin.rstrip("/") in {a.rstrip("/") for a in allowed}
    return bool(host) and urlsplit(origin).netloc == host


class SecurityMiddleware:
    """The middleware itself (see the module docstring)."""

    def __init__(
        self, app: ASGIApp, security: Security, body_limits: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.security = security
        self.body_limits = dict(body_limits or {})

    @staticmethod
    def wrap(security: Security, body_limits: Mapping[str, int] | None = None) -> DefineMiddleware:
        """The middleware definition for ``Litestar(middleware=[...])``.

        ``body_limits`` raises the body cap for exact paths that take large uploads (pack
        archives); every other path keeps ``max_body_bytes``.
        """
        factory: Any = SecurityMiddleware
        return DefineMiddleware(factory, security=security, body_limits=dict(body_limits or {}))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Route by connection type."""
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        conf = self.security.settings
        path = str(scope.get("path", ""))
        limit = self.body_limits.get(path.rstrip("/"), conf.max_body_bytes)
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _json(send, 413, {"status_code": 413, "detail": "request body too large"})
            return
        if not path.startswith(_EXEMPT):
            key = _header(scope, b"x-api-key")
            client = scope.get("client") or ("unknown", 0)
            bucket = (
                "http:key:" + hashlib.sha256(key.encode()).hexdigest()[:24]
                if key
                else f"http:ip:{client[0]}"
            )
            wait = await self.security.limiter.take(bucket, conf.http_rate, conf.http_burst)
            if wait > 0:
                await _json(
                    send,
                    429,
                    {"status_code": 429, "detail": "rate limited"},
                    [(b"retry-after", retry_after_header(wait).encode())],
                )
                return
        docs = path.startswith(_DOCS_PREFIX)
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    return {"type": "http.disconnect"}
            return message

        async def secured_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(_HEADERS)
                if not docs:
                    headers.append((b"content-security-policy", CSP.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, limited_receive, secured_send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        conf = self.security.settings
        origin = _header(scope, b"origin")
        if not origin_allowed(origin, _header(scope, b"host"), list(conf.allowed_origins)):
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008, "reason": "origin not allowed"})
            return
        bucket = TokenBucket(conf.frame_rate, conf.frame_burst)

        async def limited_receive() -> Message:
            while True:
                message = await receive()
                if message["type"] != "websocket.receive" or bucket.take() == 0.0:
                    return message
                await send(
                    {
                        "type": "websocket.send",
                        "text": json.dumps(
                            {
                                "type": "error",
                                "code": "rate_limited",
                                "message": "too many frames; this one was dropped",
                                "ref": None,
                            }
                        ),
                    }
                )

        await self.app(scope, limited_receive, send)


async def _json(
    send: Send, status: int, body: dict[str, Any], extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    payload = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        *_HEADERS,
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
