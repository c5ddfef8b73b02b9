"""Start the demo shop as a child process beside Kefu (what ``kefu demo`` calls)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from demo_shop.config import DEFAULT_API_KEY


@dataclass
class DemoShopProcess:
    """A running (or stopped) demo shop server; ``start`` again after ``stop`` keeps its data."""

    port: int
    db_path: Path
    kefu_url: str = ""
    webhook_secret: str = ""
    api_key: str = DEFAULT_API_KEY
    host: str = "127.0.0.1"
    log_path: Path | None = None
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """The shop's base URL."""
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        """The command line that runs this shop."""
        cmd = [
            sys.executable,
            "-m",
            "demo_shop",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--db",
            str(self.db_path),
            "--api-key",
            self.api_key,
        ]
        if self.kefu_url:
            cmd += ["--kefu-url", self.kefu_url, "--webhook-secret", self.webhook_secret]
        return cmd

    def start(self, timeout: float = 30.0) -> None:
        """Launch the process and wait until its health check answers."""
        out = self.log_path.open("ab") if self.log_path else subprocess.DEVNULL
        try:
            self.proc = subprocess.Popen(
                self.command(), stdout=out, stderr=subprocess.STDOUT, env=dict(os.environ)
            )
        finally:
            if self.log_path and not isinstance(out, int):
                out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"demo shop exited with {self.proc.returncode}")
            try:
                if httpx.get(f"{self.url}/api/health", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"demo shop not ready on {self.url} after {timeout}s")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    async def astart(self) -> None:
        """:meth:`start` without blocking the event loop."""
        await asyncio.to_thread(self.start)

    async def astop(self) -> None:
        """:meth:`stop` without blocking the event loop."""
        await asyncio.to_thread(self.stop)


def start_demo_shop(
    *,
    port: int,
    db_path: Path,
    kefu_url: str = "",
    webhook_secret: str = "",
    api_key: str = DEFAULT_API_KEY,
    log_path: Path | None = None,
) -> DemoShopProcess:
    """Start a demo shop process and return its handle (call ``stop()`` when done)."""
    shop = DemoShopProcess(
        port=port,
        db_path=db_path,
        kefu_url=kefu_url,
        webhook_secret=webhook_secret,
        api_key=api_key,
        log_path=log_path,
    )
    shop.start()
    return shop
