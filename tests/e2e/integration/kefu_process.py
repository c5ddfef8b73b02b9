"""Starts Kefu with the integration module as a real uvicorn process, for e2e tests/benchmarks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

RUNNER = Path(__file__).with_name("serve_kefu_integration.py")
TESTS_DIR = Path(__file__).resolve().parents[2]


@dataclass
class KefuProcess:
    """One Kefu server with webhooks from ``sender`` and the demo shop as its business source."""

    port: int
    data_dir: Path
    shop_url: str
    shop_key: str
    webhook_secret: str
    bus_url: str = "memory://"
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """Base HTTP URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        """Base WebSocket URL."""
        return f"ws://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """Environment of the server process."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
        adapters = {
            "shop": {"plugin": "rest", "options": {"mapping": "pkg:demo_shop/kefu-adapter.toml"}}
        }
        env.update(
            {
                "PYTHONPATH": os.pathsep.join([str(TESTS_DIR), str(RUNNER.parent)]),
                "KEFU_DATA_DIR": str(self.data_dir),
                "KEFU_HOST": "127.0.0.1",
                "KEFU_PORT": str(self.port),
                "KEFU_DEMO": "true",
                "KEFU_BUS_URL": self.bus_url,
                "KEFU_SECRET_KEY": "e2e-secret-key-0123456789-0123456789-abcdef",
                "KEFU_INTEGRATION_WEBHOOK_SECRETS": json.dumps(
                    {"demo-shop": [self.webhook_secret]}
                ),
                "KEFU_INTEGRATION_ADAPTERS": json.dumps(adapters),
                "KEFU_INTEGRATION_RELAY_INTERVAL": "0.2",
                "DEMO_SHOP_URL": self.shop_url,
                "DEMO_SHOP_API_KEY": self.shop_key,
            }
        )
        return env

    def start(self, timeout: float = 60.0) -> None:
        """Launch and wait for /api/health."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = (self.data_dir / "kefu.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, str(RUNNER)], env=self.env(), stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError((self.data_dir / "kefu.log").read_text())
            try:
                if httpx.get(f"{self.url}/api/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Kefu not ready:\n{(self.data_dir / 'kefu.log').read_text()}")

    def stop(self) -> None:
        """SIGTERM and wait."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None
