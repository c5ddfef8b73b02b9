"""Security of the agent socket: who may open it, and ending it when its token dies.

The hello's token must be a valid, unrevoked access token of a chatting role (agent or
supervisor; an admin token is refused with close code 1008). While the socket is open a
watchdog checks, in memory, every ``interval`` seconds and before each frame, whether the token
expired or was revoked; then the server sends an ``error`` frame (``token_expired`` or
``token_revoked``) and closes with 1008. The client logs in or refreshes and reconnects.
Everything sent down the socket passes through :class:`MaskingOutbox`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from litestar import WebSocket
from litestar.status_codes import WS_1008_POLICY_VIOLATION

from kefu.gateway.auth import AgentIdentity
from kefu.gateway.frames import ErrorOut, FrameError, encode
from kefu.gateway.session import Outbox
from kefu.security.masking import find_sensitive, mask_text
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
    """``token_expired``/``token_revoked`` when the socket's token died, else None."""
    if identity.expires_at and time.time() >= identity.expires_at:
        return "token_expired"
    if security_state(socket).revocations.is_revoked(identity.jti):
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


class MaskingOutbox(Outbox):
    """An agent socket's outbox: personal data in every frame is masked before it leaves.

    Frames are JSON; masking the encoded text keeps it valid JSON (masks replace digits and
    letters inside strings). A frame without anything sensitive costs one regex scan.
    """

    async def send_raw(self, data: bytes) -> None:
        """Send already-encoded JSON, masked."""
        text = data.decode()
        if find_sensitive(text):
            data = mask_text(text).encode()
        await super().send_raw(data)
