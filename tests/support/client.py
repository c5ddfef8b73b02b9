"""A small WebSocket client speaking Kefu's frame protocol, for tests."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from kefu.app import DEMO_PASSWORD

Frame = dict[str, Any]
RECV_TIMEOUT = 10.0


class FrameClient:
    """One socket; frames that were received but not yet asked for wait in ``backlog``."""

    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn
        self.backlog: list[Frame] = []

    @classmethod
    async def open(cls, url: str) -> FrameClient:
        """Connect to ``url``."""
        return cls(await connect(url, max_size=2**24, open_timeout=10))

    async def send(self, frame: Frame | str | bytes) -> None:
        """Send a frame (dicts are JSON-encoded, strings and bytes go as they are)."""
        if isinstance(frame, dict):
            await self.conn.send(json.dumps(frame))
        else:
            await self.conn.send(frame)

    async def recv(self, wait: float = RECV_TIMEOUT) -> Frame:
        """The next frame (from the backlog first)."""
        if self.backlog:
            return self.backlog.pop(0)
        raw = await asyncio.wait_for(self.conn.recv(), wait)
        frame: Frame = json.loads(raw)
        return frame

    async def expect(
        self,
        frame_type: str,
        where: Callable[[Frame], bool] | None = None,
        wait: float = RECV_TIMEOUT,
    ) -> Frame:
        """The first frame of that type (matching ``where``); others stay in the backlog."""
        for index, frame in enumerate(self.backlog):
            if frame["type"] == frame_type and (where is None or where(frame)):
                return self.backlog.pop(index)
        deadline = asyncio.get_running_loop().time() + wait
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"no {frame_type!r} frame; backlog: {self.backlog}")
            raw = await asyncio.wait_for(self.conn.recv(), remaining)
            frame = json.loads(raw)
            if frame["type"] == frame_type and (where is None or where(frame)):
                return frame
            self.backlog.append(frame)

    async def quiet(self, seconds: float = 0.3) -> list[Frame]:
        """Everything that arrives within ``seconds`` (plus the backlog)."""
        frames, self.backlog = self.backlog, []
        try:
            while True:
                raw = await asyncio.wait_for(self.conn.recv(), seconds)
                frames.append(json.loads(raw))
        except TimeoutError:
            return frames

    async def close(self) -> None:
        """Close the socket."""
        await self.conn.close()


def new_id() -> str:
    """A fresh client message id."""
    return uuid.uuid4().hex


async def visitor(ws_url: str, **hello: Any) -> tuple[FrameClient, Frame]:
    """Connect as a visitor, say hello, return the client and the welcome frame."""
    client = await FrameClient.open(f"{ws_url}/ws/visitor")
    await client.send({"type": "hello", **hello})
    welcome = await client.expect("welcome")
    return client, welcome


async def login(http_url: str, username: str, password: str = DEMO_PASSWORD) -> Frame:
    """Log an agent in over HTTP; returns the JSON answer (token and agent)."""
    async with httpx.AsyncClient(base_url=http_url, timeout=10) as http:
        response = await http.post(
            "/api/agents/login", json={"username": username, "password": password}
        )
        response.raise_for_status()
        answer: Frame = response.json()
        return answer


async def agent(
    http_url: str, ws_url: str, username: str = "alice", **hello: Any
) -> tuple[FrameClient, Frame, Frame]:
    """Log in and connect as an agent; returns the client, the welcome and the login answer."""
    session = await login(http_url, username)
    client = await FrameClient.open(f"{ws_url}/ws/agent")
    await client.send({"type": "hello", "token": session["token"], **hello})
    welcome = await client.expect("welcome")
    return client, welcome, session
