"""``kefu serve --workers N``: refused on the embedded store, N real processes on PG + Redis.

The two-worker test also runs with ``--no-ws-deflate`` and checks that it is honoured.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from click.testing import CliRunner

from kefu.cli.serve import serve, workers_refusal
from kefu.settings import Settings
from support.client import new_id, visitor
from support.server import free_port

READY_TIMEOUT = 120.0


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    env["KEFU_CONFIG"] = ""
    env.update(extra)
    return env


def test_workers_refusal_names_each_missing_shared_service(tmp_path: Path) -> None:
    embedded = Settings(data_dir=tmp_path)
    assert workers_refusal(embedded, 1) is None
    reason = workers_refusal(embedded, 2)
    assert reason is not None
    assert "SQLite" in reason and "memory://" in reason and "redis://" in reason
    only_pg = Settings(data_dir=tmp_path, database_url="postgresql+asyncpg://u@127.0.0.1/db")
    reason = workers_refusal(only_pg, 3)
    assert reason is not None and "SQLite" not in reason and "memory://" in reason
    shared = Settings(
        data_dir=tmp_path,
        database_url="postgresql+asyncpg://u@127.0.0.1/db",
        bus_url="redis://127.0.0.1:6379/0",
    )
    assert workers_refusal(shared, 4) is None


def test_serve_with_two_workers_on_sqlite_exits_with_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        if key.startswith("KEFU_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("KEFU_CONFIG", "")
    monkeypatch.setenv("KEFU_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(serve, ["--workers", "2", "--port", "1"])
    assert result.exit_code == 2
    assert "--workers 2 needs PostgreSQL and Redis" in result.output
    assert not (tmp_path / "kefu.db").exists()  # refused before anything started


def _workers(pid: int) -> list[psutil.Process]:
    """The uvicorn worker processes under ``pid`` (not multiprocessing's resource tracker)."""
    found = []
    for child in psutil.Process(pid).children():
        with contextlib.suppress(psutil.Error):
            if "resource_tracker" not in " ".join(child.cmdline()):
                found.append(child)
    return found


@pytest.fixture
def two_workers(
    tmp_path: Path, fresh_pg_url: str, redis_url: str
) -> Iterator[tuple[int, set[int]]]:
    """``kefu serve --workers 2`` on PostgreSQL + Redis: its port and its workers' pids."""
    port = free_port()
    log_path = tmp_path / "serve.log"
    env = _clean_env(
        KEFU_DATA_DIR=str(tmp_path / "data"),
        KEFU_DATABASE_URL=fresh_pg_url,
        KEFU_BUS_URL=redis_url,
        KEFU_LOG_FORMAT="text",
    )
    kefu = Path(sys.executable).with_name("kefu")
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [str(kefu), "serve", "--workers", "2", "--port", str(port), "--no-ws-deflate"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            assert proc.poll() is None, log_path.read_text()
            workers = _workers(proc.pid)
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).is_success
            except httpx.HTTPError:
                ready = False
            if ready and len(workers) == 2:
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"kefu serve --workers 2 not ready:\n{log_path.read_text()}")
        yield port, {w.pid for w in workers}
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 0, log_path.read_text()


@pytest.mark.postgres
@pytest.mark.redis
async def test_serve_with_two_workers_runs_two_processes_that_serve(
    two_workers: tuple[int, set[int]],
) -> None:
    port, pids = two_workers
    assert len(pids) == 2
    ws = f"ws://127.0.0.1:{port}"
    # Several sockets, so the kernel spreads them over both workers; each conversation works.
    for n in range(4):
        client, welcome = await visitor(ws)
        # The client offers permessage-deflate; --no-ws-deflate declines it on every worker.
        assert client.conn.response is not None
        assert "Sec-WebSocket-Extensions" not in client.conn.response.headers
        await client.send({"type": "message", "client_msg_id": new_id(), "text": f"hi {n}"})
        assert (await client.expect("ack"))["seq"] == 1
        await client.close()
        again, welcome2 = await visitor(
            ws,
            visitor_token=welcome["visitor_token"],
            conversation_id=welcome["conversation_id"],
            last_seq=0,
        )
        assert welcome2["last_seq"] >= 1
        first = await again.expect("message")
        assert (first["seq"], first["text"]) == (1, f"hi {n}")
        await again.close()
