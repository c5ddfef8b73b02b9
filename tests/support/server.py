"""Starts real Kefu servers (uvicorn in a subprocess on a free port) for integration/e2e tests."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

TESTS_DIR = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 60.0


def free_port() -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ServerProcess:
    """One running server; ``restart`` brings it back on the same port and settings."""

    env: dict[str, str]
    port: int
    log_path: Path
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    #: The module ``python -m`` runs (under tests/) to serve Kefu.
    module: str = field(default="support.serve", repr=False)

    @property
    def data_dir(self) -> Path:
        """Where this server keeps its SQLite file and secrets."""
        return Path(self.env["KEFU_DATA_DIR"])

    @property
    def http_url(self) -> str:
        """Base URL for HTTP calls."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        """Base URL for WebSockets."""
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Launch the process and wait until /api/health answers."""
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", self.module],
            env=self.env,
            cwd=TESTS_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"server exited with {self.proc.returncode}:\n{self.log_path.read_text()}"
                )
            try:
                if httpx.get(f"{self.http_url}/api/health", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server not ready after {READY_TIMEOUT}s:\n{self.log_path.read_text()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing (a crash)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        """SIGTERM and wait for a clean shutdown (kill after 15 s)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def restart(self) -> None:
        """Start again with the same settings and port."""
        self.stop()
        self.start()


def server_env(data_dir: Path, port: int, **settings: str) -> dict[str, str]:
    """Environment for a server process: KEFU_* settings over a clean copy of ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    env.update(
        {
            # Keep any PYTHONPATH the test set (e.g. a third-party distribution's directory).
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(TESTS_DIR), os.environ.get("PYTHONPATH", "")) if p
            ),
            "KEFU_DATA_DIR": str(data_dir),
            "KEFU_HOST": "127.0.0.1",
            "KEFU_PORT": str(port),
            "KEFU_DEMO": "true",
            "KEFU_SECRET_KEY": secrets.token_urlsafe(40),
        }
    )
    env.update({f"KEFU_{k.upper()}": v for k, v in settings.items()})
    return env
