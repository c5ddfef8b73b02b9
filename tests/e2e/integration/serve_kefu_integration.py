"""Runs Kefu with the integration module installed (``python serve_kefu_integration.py``).

Settings come from ``KEFU_*`` and ``KEFU_INTEGRATION_*`` variables, exactly as
``uvicorn kefu.app:app_from_env --factory`` reads them.
"""

from __future__ import annotations

import uvicorn

from kefu.app import app_from_env
from kefu.settings import load_settings


def main() -> None:
    """Serve Kefu + integration on KEFU_HOST:KEFU_PORT."""
    settings = load_settings()
    uvicorn.run(
        app_from_env(), host=settings.host, port=settings.port, log_level="warning", lifespan="on"
    )


if __name__ == "__main__":
    main()
