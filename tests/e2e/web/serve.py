"""Runs a Kefu server for the browser tests (``python -m e2e.web.serve``).

It is ``support.serve`` plus the web router when ``create_app`` does not mount it yet, so
these tests run both before and after the web pages are wired into the app.
"""

from __future__ import annotations

import uvicorn

from kefu.app import create_app
from kefu.cli.serve import websocket_options
from kefu.settings import load_settings
from kefu.web import web_router
from support.filters import WordFilter


def main() -> None:
    """Serve on KEFU_HOST:KEFU_PORT with settings from KEFU_* variables."""
    settings = load_settings()
    app = create_app(settings, filters=[WordFilter()])
    if not any(route.path == "/workbench" for route in app.routes):
        app.register(web_router(settings))
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        lifespan="on",
        **websocket_options(settings, ws_deflate=False),
    )


if __name__ == "__main__":
    main()
