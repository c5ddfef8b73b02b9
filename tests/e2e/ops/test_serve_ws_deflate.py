"""``kefu serve`` declines WebSocket compression by default; ``--ws-deflate`` accepts it.

Browsers always offer permessage-deflate; accepting it keeps zlib state per socket for frames
that are a few hundred bytes. The client here offers it like a browser does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.client import new_id, visitor
from support.server import free_port

READY_TIMEOUT = 120.0


@pytest.fixture
def served(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[int]:
    """``kefu serve`` with the flags in ``request.param`` on the embedded store: its port."""
    flags: list[str] = request.param
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    env.update(KEFU_CONFIG="", KEFU_DATA_DIR=str(tmp_path / "data"), KEFU_LOG_FORMAT="text")
    kefu = Path(sys.executable).with_name("kefu")
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [str(kefu), "serve", "--port", str(port), *flags],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            assert proc.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, f"not ready:\n{log_path.read_text()}"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).is_success:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.mark.parametrize(
    ("served", "compressed"),
    [([], False), (["--ws-deflate"], True), (["--no-ws-deflate"], False)],
    ids=["default", "ws-deflate", "no-ws-deflate"],
    indirect=["served"],
)
async def test_serve_negotiates_compression_only_when_asked(served: int, compressed: bool) -> None:
    client, _ = await visitor(f"ws://127.0.0.1:{served}")
    assert client.conn.response is not None
    extensions = client.conn.response.headers.get("Sec-WebSocket-Extensions", "")
    assert ("permessage-deflate" in extensions) is compressed
    await client.send({"type": "message", "client_msg_id": new_id(), "text": "x" * 2000})
    assert (await client.expect("ack"))["seq"] == 1  # either way the chat works
    await client.close()
