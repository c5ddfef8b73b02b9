"""Operator endpoints: Prometheus metrics, liveness and readiness."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from litestar import Response, Router, get
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

#: A readiness check: returns when the dependency is usable, raises otherwise.
Check = Callable[[], Awaitable[object]]


def operations_router(checks: Mapping[str, Check], *, timeout: float = 2.0) -> Router:
    """Routes for /metrics, /health/live and /health/ready (the latter runs ``checks``)."""

    @get("/metrics", include_in_schema=False, sync_to_thread=False)
    def metrics() -> Response[bytes]:
        """Every Kefu metric in the Prometheus text format."""
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    @get("/health/live", sync_to_thread=False)
    def live() -> dict[str, str]:
        """The process is up and its event loop answers."""
        return {"status": "ok"}

    @get("/health/ready")
    async def ready() -> Response[dict[str, object]]:
        """Every dependency (database, bus...) answers within the timeout."""
        results: dict[str, str] = {}

        async def run(name: str, check: Check) -> None:
            try:
                await asyncio.wait_for(check(), timeout)
                results[name] = "ok"
            except Exception as exc:  # a failing dependency is reported, never raised
                results[name] = f"{type(exc).__name__}: {exc}"[:200]

        await asyncio.gather(*(run(n, c) for n, c in checks.items()))
        healthy = all(v == "ok" for v in results.values())
        body: dict[str, object] = {"status": "ok" if healthy else "unavailable", "checks": results}
        return Response(body, status_code=HTTP_200_OK if healthy else HTTP_503_SERVICE_UNAVAILABLE)

    return Router(path="/", route_handlers=[metrics, live, ready], tags=["operations"])
