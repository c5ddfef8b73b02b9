"""``kefu serve`` and ``kefu demo``: run the gateway with uvicorn on the configured store."""

from __future__ import annotations

import os
import sys

import click

from kefu.observability.logs import configure_logging
from kefu.settings import load_settings

DEMO_BANNER = """
Kefu is running on the embedded default (SQLite file + in-memory bus).

  Visitor widget demo : http://{host}:{port}/
  Agent workbench     : http://{host}:{port}/workbench
  API schema          : http://{host}:{port}/schema/openapi.json
  Data directory      : {data_dir}

  Demo agents         : alice / {password}    bob / {password}
"""


def _run(host: str | None, port: int | None, *, demo: bool, log_level: str | None) -> None:
    import uvicorn

    from kefu.app import create_app

    overrides: dict[str, object] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    if demo:
        overrides["demo"] = True
    settings = load_settings(**overrides)
    json_logs = settings.log_format == "json" or (
        settings.log_format == "auto" and not sys.stderr.isatty()
    )
    configure_logging(log_level or settings.log_level, json_logs=json_logs)
    if settings.demo:
        from kefu.app import DEMO_PASSWORD

        click.echo(
            DEMO_BANNER.format(
                host=settings.host,
                port=settings.port,
                data_dir=settings.data_dir.resolve(),
                password=DEMO_PASSWORD,
            )
        )
    shop = None
    integration_settings = None
    if settings.demo:
        from kefu.integration.demo import start_demo_business

        shop, integration_settings = start_demo_business(
            settings.data_dir, f"http://{settings.host}:{settings.port}"
        )
        click.echo(f"  Demo shop (business system): {shop.url}\n")
    app = create_app(settings, integration_settings=integration_settings)
    try:
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_level=(log_level or settings.log_level).lower(),
            log_config=None,  # keep the handlers configure_logging installed
            ws_max_size=settings.max_frame_bytes * 4,
            lifespan="on",
        )
    finally:
        if shop is not None:
            shop.stop()


@click.command()
@click.option("--host", default=None, help="Interface to listen on (KEFU_HOST).")
@click.option("--port", type=int, default=None, help="Port to listen on (KEFU_PORT).")
@click.option("--log-level", default=None, help="debug, info, warning, error.")
def serve(host: str | None, port: int | None, log_level: str | None) -> None:
    """Start the Kefu server (gateway, assistant, event bus) in this process."""
    _run(host, port, demo=False, log_level=log_level)


@click.command()
@click.option("--host", default=None, help="Interface to listen on (KEFU_HOST).")
@click.option("--port", type=int, default=None, help="Port to listen on (KEFU_PORT).")
def demo(host: str | None, port: int | None) -> None:
    """Start Kefu with demo agents and data, and print the URLs and credentials."""
    os.environ.setdefault("KEFU_DEMO", "1")
    _run(host, port, demo=True, log_level=None)
