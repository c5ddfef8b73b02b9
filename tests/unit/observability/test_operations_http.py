"""The operator endpoints: metrics text, liveness, readiness that names the failing dependency."""

from __future__ import annotations

import asyncio

from litestar import Litestar
from litestar.testing import TestClient

from kefu.observability.http import operations_router
from kefu.observability.metrics import TURNS


async def ok() -> None:
    return None


async def down() -> None:
    raise ConnectionError("connection refused")


async def hangs() -> None:
    await asyncio.sleep(10)


def test_metrics_are_in_prometheus_text_format() -> None:
    TURNS.labels("reply").inc()
    with TestClient(Litestar([operations_router({})])) as client:
        response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert 'kefu_assistant_turns_total{decision="reply"}' in response.text


def test_ready_when_every_check_passes() -> None:
    with TestClient(Litestar([operations_router({"database": ok, "bus": ok})])) as client:
        assert client.get("/health/live").json() == {"status": "ok"}
        response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "bus": "ok"}}


def test_not_ready_names_the_failing_and_the_hanging_dependency() -> None:
    app = Litestar([operations_router({"database": down, "bus": hangs, "x": ok}, timeout=0.2)])
    with TestClient(app) as client:
        response = client.get("/health/ready")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == "ConnectionError: connection refused"
    assert checks["bus"].startswith("TimeoutError")
    assert checks["x"] == "ok"
