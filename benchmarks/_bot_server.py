"""A real Kefu server whose bot answers, and visitors talking to it over WebSockets.

The server is ``uvicorn kefu.app:app_from_env`` in its own process, configured through
``KEFU_*`` variables with the intent model and retrieval index the benchmark fitted and saved:
the same embedding recognizer and faiss retriever as the in-process measurement, the default
reply policy with its reply threshold at 0 so every in-scope turn is answered by the bot (a
hand-off would queue the conversation for a human and end the bot's part).

A visitor's turn is timed from sending its ``message`` frame to receiving the bot's ``message``
frame: filters, storing the message, the ack, the assistant's turn (embedding, intent,
retrieval, policy), storing and delivering the reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from benchmarks._harness import Server, run_server


class NoBotReplyError(RuntimeError):
    """The turn ended without a bot reply (blocked, handed off, or an error frame)."""


def server_env(data_dir: Path, intent_dir: Path, index_dir: Path) -> dict[str, str]:
    """``KEFU_*`` variables of a server whose bot uses the saved intent model and index."""
    return {
        "KEFU_CONFIG": "",
        "KEFU_DATA_DIR": str(data_dir),
        "KEFU_DATABASE_URL": "",
        "KEFU_BUS_URL": "memory://",
        "KEFU_LOG_LEVEL": "WARNING",
        "KEFU_SECRET_KEY": "bench-assistant-secret-0123456789-0123456789",
        "KEFU_INTENT": "embedding",
        "KEFU_INTENT_MODEL_DIR": str(intent_dir),
        "KEFU_RETRIEVER": "faiss",
        "KEFU_RETRIEVER_INDEX_DIR": str(index_dir),
        "KEFU_POLICY": "default",
        "KEFU_POLICY_OPTIONS": json.dumps({"reply_threshold": 0.0}),
        # Every visitor connects from 127.0.0.1: lift the per-IP limit on handshakes.
        "KEFU_SECURITY_HTTP_RATE": "1000000",
        "KEFU_SECURITY_HTTP_BURST": "1000000",
    }


@contextlib.contextmanager
def bot_server(data_dir: Path, intent_dir: Path, index_dir: Path) -> Iterator[Server]:
    """Start the server (model and index load before it listens) and stop it afterwards."""
    env = server_env(data_dir, intent_dir, index_dir)
    with run_server("assistant", "kefu.app:app_from_env", env=env, ready_timeout=180) as server:
        yield server


class Visitors:
    """``count`` visitor sockets, each with its own conversation, one turn in flight at most."""

    def __init__(self, ws_url: str, count: int, *, timeout_s: float = 60.0) -> None:
        self._url = f"{ws_url}/ws/visitor"
        self._count = count
        self._timeout = timeout_s
        self._sockets: list[ClientConnection] = []

    async def __aenter__(self) -> Visitors:
        # A few at a time: each hello opens a conversation in the database.
        gate = asyncio.Semaphore(16)

        async def open_one() -> ClientConnection:
            async with gate:
                return await self._open()

        self._sockets = list(await asyncio.gather(*(open_one() for _ in range(self._count))))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.gather(*(ws.close() for ws in self._sockets), return_exceptions=True)

    async def _open(self) -> ClientConnection:
        ws = await connect(self._url, open_timeout=self._timeout, max_size=2**20)
        await ws.send(json.dumps({"type": "hello", "v": 1}))
        async for frame in _frames(ws, self._timeout):
            if frame.get("type") == "welcome":
                return ws
            if frame.get("type") == "error":
                raise RuntimeError(f"hello refused: {frame}")
        raise RuntimeError("socket closed before welcome")

    async def turn(self, visitor: int, text: str) -> None:
        """Send ``text`` as visitor ``visitor`` and return when the bot's reply arrives.

        A turn the bot hands off (e.g. its plugins overran their deadline) queues the
        conversation for a human: that visitor then starts a new conversation, so it keeps
        talking to the bot, and the turn raises :class:`NoBotReplyError`.
        """
        ws = self._sockets[visitor]
        frame_out = {"type": "message", "client_msg_id": uuid.uuid4().hex, "text": text}
        await ws.send(json.dumps(frame_out))
        async for frame in _frames(ws, self._timeout):
            kind = frame.get("type")
            if kind == "message" and frame.get("sender") == "bot":
                return
            name = frame.get("name") if kind == "event" else None
            if kind == "error" or name in ("blocked", "queued"):
                if name == "queued":
                    await ws.close()
                    self._sockets[visitor] = await self._open()
                raise NoBotReplyError(json.dumps(frame)[:200])
        raise NoBotReplyError("socket closed")


async def _frames(ws: ClientConnection, timeout_s: float) -> AsyncIterator[dict[str, Any]]:
    """Frames as dicts until the socket closes; a silence longer than ``timeout_s`` raises."""
    while True:
        try:
            raw = await asyncio.wait_for(ws.recv(), timeout_s)
        except ConnectionClosed:
            return
        frame = json.loads(raw)
        if isinstance(frame, dict):
            yield frame


__all__ = ["NoBotReplyError", "Visitors", "bot_server", "server_env"]
