"""A business source that answers after a fixed delay (``SLOW_SOURCE_DELAY`` seconds), for the
integration benchmark's "one source slow" case."""

from __future__ import annotations

import asyncio
import os

from litestar import Litestar, get


@get("/customers/{customer_id:str}/tickets")
async def tickets(customer_id: str) -> dict[str, object]:
    """Support tickets of a customer, slowly."""
    await asyncio.sleep(float(os.environ.get("SLOW_SOURCE_DELAY", "2.0")))
    return {"tickets": [{"id": "T-1", "customer_id": customer_id, "status": "open"}]}


def create_app() -> Litestar:
    """The slow source's app (``uvicorn _slow_source:create_app --factory``)."""
    return Litestar([tickets], openapi_config=None)
