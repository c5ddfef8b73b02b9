"""A real Kefu process (with the demo shop as its business source) for the security suites."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
TESTS_DIR = HERE.parents[1]
SECRET_KEY = "attack-suite-secret-key-0123456789-abcdefghij"
WEBHOOK_SECRET = "attack-suite-webhook-secret-0123"
SHOP_KEY = "attack-suite-shop-key-0123456789"
IDENTITY_SECRET = "attack-suite-identity-secret-0123456789"
DEMO_PASSWORD = "kefu-demo"
#: Tables whose rows legitimately grow when a request is refused (the refusal is audited).
AUDIT_TABLES = {"audit_entries", "security_audit_head"}


@dataclass
class SecureKefu:
    """One Kefu server process; ``settings`` are extra ``KEFU_*`` variables."""

    port: int
    data_dir: Path
    shop_url: str = ""
    settings: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """Base HTTP URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        """Base WebSocket URL."""
        return f"ws://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        """Everything the process wrote."""
        return self.data_dir / "kefu.log"

    @property
    def db_path(self) -> Path:
        """The SQLite store."""
        return self.data_dir / "kefu.db"

    def env(self) -> dict[str, str]:
        """Environment of the server process."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
        env.update(
            {
                "PYTHONPATH": os.pathsep.join([str(TESTS_DIR), str(HERE)]),
                "KEFU_DATA_DIR": str(self.data_dir),
                "KEFU_HOST": "127.0.0.1",
                "KEFU_PORT": str(self.port),
                "KEFU_DEMO": "true",
                "KEFU_SECRET_KEY": SECRET_KEY,
                "KEFU_INTEGRATION_WEBHOOK_SECRETS": json.dumps({"demo-shop": [WEBHOOK_SECRET]}),
                "KEFU_INTEGRATION_RELAY_INTERVAL": "0.2",
                "KEFU_SECURITY_HTTP_RATE": "1000",
                "KEFU_SECURITY_HTTP_BURST": "2000",
                "KEFU_SECURITY_IDENTITY_SECRET": IDENTITY_SECRET,
            }
        )
        if self.shop_url:
            adapters = {
                "shop": {
                    "plugin": "rest",
                    "options": {"mapping": "pkg:demo_shop/kefu-adapter.toml"},
                }
            }
            env.update(
                {
                    "KEFU_INTEGRATION_ADAPTERS": json.dumps(adapters),
                    "DEMO_SHOP_URL": self.shop_url,
                    "DEMO_SHOP_API_KEY": SHOP_KEY,
                }
            )
        env.update(self.settings)
        return env

    def start(self, timeout: float = 60.0) -> None:
        """Launch and wait for /api/health."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "serve_secure.py")],
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(self.log_path.read_text())
            try:
                if httpx.get(f"{self.url}/api/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Kefu not ready:\n{self.log_path.read_text()}")

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

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table except the audit trail (which refusals append to)."""
        with sqlite3.connect(self.db_path) as conn:
            names = [
                r[0]
                for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                if r[0] not in AUDIT_TABLES and not r[0].startswith("sqlite_")
            ]
            return {
                name: sorted(
                    conn.execute(f'SELECT * FROM "{name}"').fetchall(),
                    key=repr,
                )
                for name in names
            }

    def settled_snapshot(self, quiet: float = 0.6, timeout: float = 10.0) -> dict[str, Any]:
        """A snapshot once background work (assistant, relays) stopped changing the store."""
        deadline = time.monotonic() + timeout
        last = self.snapshot()
        while time.monotonic() < deadline:
            time.sleep(quiet)
            current = self.snapshot()
            if current == last:
                return current
            last = current
        raise AssertionError("the store kept changing; cannot take a baseline")

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """Run one read query against the store."""
        with sqlite3.connect(self.db_path) as conn:
            return conn.execute(sql, args).fetchall()


async def login(kefu: SecureKefu, username: str) -> dict[str, object]:
    """Log a demo person in; the JSON answer (token, refresh_token, role, agent)."""
    async with httpx.AsyncClient(base_url=kefu.url, timeout=10) as http:
        answer = await http.post(
            "/api/agents/login", json={"username": username, "password": DEMO_PASSWORD}
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, object] = answer.json()
        return body
