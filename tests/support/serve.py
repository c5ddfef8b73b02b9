"""Runs a Kefu server like ``kefu serve`` does, with the test word filter (``python -m``)."""

from __future__ import annotations

import uvicorn

from kefu.app import create_app
from kefu.cli.serve import websocket_options
from kefu.settings import load_settings
from support.filters import WordFilter


def main() -> None:
    """Serve on KEFU_HOST:KEFU_PORT with settings from KEFU_* variables."""
    settings = load_settings()
    app = create_app(settings, filters=[WordFilter()])
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
