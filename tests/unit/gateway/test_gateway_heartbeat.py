"""The idle sweeper: ordering, marking, closing only silent sockets, one task for all of them."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
import uvicorn
from click.testing import CliRunner
from pydantic import ValidationError

import kefu.app
from kefu.cli.serve import serve, websocket_options
from kefu.gateway.heartbeat import IDLE_CLOSE_CODE, IDLE_CLOSE_REASON, IdleSweeper
from kefu.settings import Settings


class _Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class _Socket:
    """Records the close frames the sweeper sends; ``stuck`` makes closing wait forever."""

    def __init__(self, name: str, *, stuck: bool = False) -> None:
        self.name = name
        self.closed: list[tuple[int, str | None]] = []
        self._stuck = stuck

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        if self._stuck:
            await asyncio.Event().wait()
        self.closed.append((code, reason))

    def __repr__(self) -> str:
        return f"_Socket({self.name!r})"


def _sweeper(timeout: float = 10.0) -> tuple[IdleSweeper, _Clock]:
    clock = _Clock()
    return IdleSweeper(timeout, clock=clock), clock


async def test_silent_sockets_are_taken_oldest_first_and_active_ones_stay() -> None:
    sweeper, clock = _sweeper(10.0)
    a, b, c = _Socket("a"), _Socket("b"), _Socket("c")
    sweeper.register(a)
    clock.now += 1
    sweeper.register(b)
    clock.now += 1
    sweeper.register(c)
    clock.now += 1
    sweeper.touch(a)  # a is now the most recently active
    clock.now += 9.5  # b: 11.5 s silent, c: 10.5 s, a: 9.5 s
    assert sweeper.expired() == [b, c]
    assert a in sweeper and b not in sweeper and c not in sweeper
    assert sweeper.expired() == []
    await sweeper.aclose()


async def test_sweep_closes_only_the_silent_sockets_with_the_idle_code() -> None:
    sweeper, clock = _sweeper(10.0)
    quiet, chatty = _Socket("quiet"), _Socket("chatty")
    sweeper.register(quiet)
    sweeper.register(chatty)
    for _ in range(5):
        clock.now += 4
        sweeper.touch(chatty)
    closed = await sweeper.sweep()
    assert closed == [quiet]
    assert quiet.closed == [(IDLE_CLOSE_CODE, IDLE_CLOSE_REASON)]
    assert chatty.closed == []
    assert len(sweeper) == 1
    await sweeper.aclose()


async def test_exactly_the_timeout_is_not_yet_idle() -> None:
    sweeper, clock = _sweeper(10.0)
    socket = _Socket("s")
    sweeper.register(socket)
    clock.now += 10.0
    assert sweeper.expired() == []
    clock.now += 0.001
    assert sweeper.expired() == [socket]
    await sweeper.aclose()


async def test_touching_an_unregistered_socket_does_not_bring_it_back() -> None:
    sweeper, clock = _sweeper(10.0)
    socket = _Socket("s")
    sweeper.register(socket)
    sweeper.unregister(socket)
    sweeper.touch(socket)
    sweeper.unregister(socket)  # twice is harmless
    assert socket not in sweeper
    clock.now += 60
    assert await sweeper.sweep() == []
    assert socket.closed == []
    await sweeper.aclose()


async def test_a_stuck_close_does_not_hold_up_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("kefu.gateway.heartbeat.CLOSE_TIMEOUT", 0.05)
    sweeper, clock = _sweeper(10.0)
    stuck, fine = _Socket("stuck", stuck=True), _Socket("fine")
    sweeper.register(stuck)
    sweeper.register(fine)
    clock.now += 11
    assert await sweeper.sweep() == [stuck, fine]
    assert fine.closed == [(IDLE_CLOSE_CODE, IDLE_CLOSE_REASON)]
    await sweeper.aclose()


async def test_one_task_for_a_thousand_sockets_started_lazily_and_stopped() -> None:
    sweeper, _ = _sweeper(30.0)
    before = len(asyncio.all_tasks())
    assert not sweeper.running
    sockets = [_Socket(str(n)) for n in range(1000)]
    for socket in sockets:
        sweeper.register(socket)
    for socket in sockets:
        sweeper.touch(socket)
    await asyncio.sleep(0)
    assert sweeper.running
    assert len(asyncio.all_tasks()) == before + 1
    assert len(sweeper) == 1000
    await sweeper.aclose()
    assert not sweeper.running
    assert len(asyncio.all_tasks()) == before


async def test_the_task_closes_silent_sockets_and_ends_with_the_last_socket() -> None:
    # Real time, short timeout: the task itself sweeps (no assertion on how fast).
    sweeper = IdleSweeper(0.2, divisions=4)
    silent, pinging = _Socket("silent"), _Socket("pinging")
    sweeper.register(silent)
    sweeper.register(pinging)
    while not silent.closed:
        sweeper.touch(pinging)
        await asyncio.sleep(0.02)
    assert silent.closed == [(IDLE_CLOSE_CODE, IDLE_CLOSE_REASON)]
    assert pinging.closed == [] and pinging in sweeper
    [task] = [t for t in asyncio.all_tasks() if t.get_name() == "kefu-idle-sweeper"]
    sweeper.unregister(pinging)
    await asyncio.wait_for(task, 10)  # the task ends by itself once no socket is left
    assert not sweeper.running
    assert len(sweeper) == 0
    sweeper.register(pinging)  # a new socket starts it again
    assert sweeper.running
    await sweeper.aclose()


def test_sweeper_refuses_a_non_positive_timeout() -> None:
    with pytest.raises(ValueError, match="idle_timeout"):
        IdleSweeper(0)


def test_settings_default_idle_timeout_outlasts_two_client_pings(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.ws_idle_timeout == 75
    assert settings.ws_idle_timeout > 2 * settings.ws_client_ping_interval


def test_settings_refuse_an_idle_timeout_within_two_ping_intervals(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="more than twice ws_client_ping_interval"):
        Settings(data_dir=tmp_path, ws_idle_timeout=50)
    short = Settings(data_dir=tmp_path, ws_idle_timeout=2, ws_client_ping_interval=0.5)
    assert short.ws_idle_timeout == 2


def test_kefu_serve_turns_uvicorn_keepalive_pings_off(tmp_path: Path) -> None:
    options = websocket_options(Settings(data_dir=tmp_path), ws_deflate=False)
    assert options["ws_ping_interval"] is None
    assert options["ws_per_message_deflate"] is False
    assert options["ws_max_size"] == 4 * Settings(data_dir=tmp_path).max_frame_bytes


def test_kefu_serve_runs_uvicorn_without_its_ping_timer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in [k for k in os.environ if k.startswith("KEFU_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("KEFU_CONFIG", "")
    monkeypatch.setenv("KEFU_DATA_DIR", str(tmp_path))
    app = object()
    monkeypatch.setattr(kefu.app, "create_app", lambda settings, **_: app)
    calls: list[tuple[object, dict[str, object]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **kwargs: calls.append((target, kwargs)))
    result = CliRunner().invoke(serve, ["--port", "1"])
    assert result.exit_code == 0, result.output
    [(target, kwargs)] = calls
    assert target is app
    assert kwargs["ws_ping_interval"] is None
    assert kwargs["ws_per_message_deflate"] is False
