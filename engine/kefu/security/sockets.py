"""Security of the agent socket: who may open it, and ending it when its token dies.

The hello's token must be a valid, unrevoked access token of a chatting role (agent or
supervisor; an admin token is refused with close code 1008). While the socket is open a
watchdog checks, in memory, every ``interval`` seconds and before each frame, whether the token
expired, was revoked, or carries a role the agent no longer has; then the server sends an
``error`` frame (``token_expired`` or ``token_revoked``) and closes with 1008. The client logs
in or refreshes and reconnects.
Everything sent down the socket passes through :class:`MaskingOutbox`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from litestar import WebSocket
from litestar.status_codes import WS_1008_POLICY_VIOLATION

from kefu.gateway.auth import AgentIdentity
from kefu.gateway.frames import ErrorOut, FrameError, encode
from kefu.gateway.session import Outbox
from kefu.security.masking import mask_text, may_be_sensitive
from kefu.security.roles import CHAT_ROLES, Role
from kefu.security.service import security_state

#: How often an idle socket's token is re-checked (seconds).
WATCH_INTERVAL = 0.5


def verify_agent_hello(socket: WebSocket[Any, Any, Any], token: str | None) -> AgentIdentity:
    """The identity of a hello's token; InvalidTokenError, or FrameError for a wrong role."""
    identity = security_state(socket).verify_access(token)
    if Role(identity.role) not in CHAT_ROLES:
        raise FrameError("forbidden_role", f"role {identity.role!r} may not chat")
    return identity


def token_problem(socket: WebSocket[Any, Any, Any], identity: AgentIdentity) -> str | None:
    """``token_expired``/``token_revoked`` when the socket's token died (expired, revoked, or
    its role was changed since), else None."""
    if identity.expires_at and time.time() >= identity.expires_at:
        return "token_expired"
    security = security_state(socket)
    if security.revocations.is_revoked(identity.jti) or security.role_withdrawn(identity):
        return "token_revoked"
    return None


async def end_session(socket: WebSocket[Any, Any, Any], problem: str) -> None:
    """Tell the client why, then close with 1008."""
    with contextlib.suppress(Exception):
        frame = ErrorOut(code=problem, message="log in again and reconnect")
        await socket.send_data(encode(frame).decode(), mode="text")
        await socket.close(code=WS_1008_POLICY_VIOLATION, reason=problem)


@contextlib.asynccontextmanager
async def watch_agent_socket(
    socket: WebSocket[Any, Any, Any], identity: AgentIdentity
) -> AsyncIterator[None]:
    """Close the socket once its token expires or is revoked, even while it is idle."""

    async def watch() -> None:
        # Polling in memory is the point: expiry is a clock, revocations sync in the background.
        while (problem := token_problem(socket, identity)) is None:  # noqa: ASYNC110
            await asyncio.sleep(WATCH_INTERVAL)
        await end_session(socket, problem)

    task = asyncio.create_task(watch(), name="kefu-agent-token-watch")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


#: Top-level frame fields the server fills itself (ids, clock, enums): never personal data.
SERVER_FIELDS = frozenset(
    {"type", "conversation_id", "seq", "sender", "sender_id", "time", "filter_action", "v"}
)
#: Numbers shorter than this many digits cannot hold a phone, card or ID number.
_SHORTEST = 1_000_000


def mask_frame(data: bytes) -> bytes:
    """An encoded JSON frame with personal data masked; the very ``data`` when it has none.

    Values are masked decoded, not in the JSON text: an escape sequence cannot hide a number
    and a mask cannot break the JSON. A number holding personal data becomes a masked string.
    """
    frame = msgspec.json.decode(data)
    if isinstance(frame, dict):
        # The top-level keys are the protocol's field names.
        masked: Any = {
            key: value if key in SERVER_FIELDS else _mask_value(value)
            for key, value in frame.items()
        }
        unchanged = all(masked[key] is value for key, value in frame.items())
    else:
        masked = _mask_value(frame)
        unchanged = masked is frame
    return data if unchanged else msgspec.json.encode(masked)


def _mask_value(value: Any) -> Any:
    """``value`` (decoded JSON) masked; the very same object when nothing needed masking."""
    if isinstance(value, str):
        if may_be_sensitive(value):
            masked = mask_text(value)
            if masked != value:
                return masked
        return value
    if isinstance(value, dict):
        pairs = [(_mask_value(k), _mask_value(v)) for k, v in value.items()]
        if all(k is k0 and v is v0 for (k, v), (k0, v0) in zip(pairs, value.items(), strict=True)):
            return value
        return dict(pairs)
    if isinstance(value, list):
        items = [_mask_value(item) for item in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) >= _SHORTEST:
        text = msgspec.json.encode(value).decode()
        masked_text = _mask_value(text)
        return value if masked_text is text else masked_text
    return value


class MaskingOutbox(Outbox):
    """An agent socket's outbox: personal data in every frame is masked before it leaves.

    Every string of a frame (keys and values, nested ones too) and every long number is
    checked, except the routing fields the server itself fills (:data:`SERVER_FIELDS`). A
    frame without anything sensitive goes out as the very bytes it came in.
    """

    async def send_raw(self, data: bytes) -> None:
        """Send already-encoded JSON, masked."""
        await super().send_raw(mask_frame(data))
