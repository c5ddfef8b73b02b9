"""Runs Kefu (gateway, integration and security) as one uvicorn process for the attack suite.

Settings come from ``KEFU_*``, ``KEFU_INTEGRATION_*`` and ``KEFU_SECURITY_*`` variables.
"""

from __future__ import annotations

import logging

import uvicorn

from kefu.app import create_app
from kefu.integration.service import IntegrationSettings
from kefu.settings import load_settings


def main() -> None:
    """Serve on KEFU_HOST:KEFU_PORT, logging at INFO to stderr (the suite greps the log)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = load_settings()
    app = create_app(settings, integration_settings=IntegrationSettings())
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="info",
        ws_max_size=settings.max_frame_bytes * 4,
        lifespan="on",
    )


if __name__ == "__main__":
    main()
