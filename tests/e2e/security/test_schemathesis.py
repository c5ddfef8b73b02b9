"""Property-based requests from Kefu's own OpenAPI schema against a real server: no 5xx.

Runs the ``schemathesis`` CLI with a bounded number of examples per operation, twice: once
anonymous (every protected route must refuse cleanly) and once as the demo supervisor.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
from secure_stack import SecureKefu, login

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def _run(kefu: SecureKefu, examples: int, *headers: str) -> subprocess.CompletedProcess[str]:
    args = [
        str(SCHEMATHESIS),
        "run",
        f"{kefu.url}/schema/openapi.json",
        "--checks",
        "not_a_server_error",
        "--max-examples",
        str(examples),
        "--seed",
        "20261127",
        "--phases",
        "examples,coverage,fuzzing",
        "--request-timeout",
        "10",
        "--exclude-path-regex",
        # Logout would end the run's own session; ?load=true imports every plugin (slow).
        "^/(ws/|web/|static/|api/auth/logout|api/plugins)",
        "--no-color",
    ]
    for header in headers:
        args += ["-H", header]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": ""}
    return subprocess.run(args, capture_output=True, text=True, timeout=120, env=env, check=False)


async def test_no_operation_answers_with_a_server_error(shop_and_kefu: SecureKefu) -> None:
    async with httpx.AsyncClient(base_url=shop_and_kefu.url, timeout=10) as http:
        schema = await http.get("/schema/openapi.json")
        assert schema.status_code == 200 and "/api/admin/keys" in schema.json()["paths"]
    anonymous = await asyncio.to_thread(_run, shop_and_kefu, 3)
    assert anonymous.returncode == 0, anonymous.stdout[-4000:] + anonymous.stderr[-2000:]
    session = await login(shop_and_kefu, "bob")
    signed_in = await asyncio.to_thread(
        _run, shop_and_kefu, 5, f"Authorization: Bearer {session['token']}"
    )
    assert signed_in.returncode == 0, signed_in.stdout[-4000:] + signed_in.stderr[-2000:]
    ran = re.search(r"(\d+) generated, (\d+) passed", signed_in.stdout)
    assert ran is not None and int(ran.group(2)) > 100, signed_in.stdout[-2000:]
