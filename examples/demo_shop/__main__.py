"""``python -m demo_shop``: serve the demo shop with uvicorn."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import uvicorn

from demo_shop.api import create_shop_app
from demo_shop.config import DEFAULT_API_KEY, ShopConfig


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="demo_shop", description="Kefu's demo business system")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--db", type=Path, default=Path("var/demo_shop.db"), help="SQLite file")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, help="key clients send as X-Api-Key")
    parser.add_argument("--kefu-url", default="", help="Kefu base URL; empty disables webhooks")
    parser.add_argument("--webhook-secret", default="", help="shared HMAC secret for webhooks")
    parser.add_argument("--sender-name", default="demo-shop", help="name Kefu knows this shop by")
    parser.add_argument("--no-seed", action="store_true", help="do not insert demo data")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run the shop until interrupted."""
    args = parse_args(argv)
    if args.kefu_url and not args.webhook_secret:
        raise SystemExit("--kefu-url needs --webhook-secret (webhooks are always signed)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    config = ShopConfig(
        db_path=args.db,
        api_key=args.api_key,
        kefu_url=args.kefu_url,
        webhook_secret=args.webhook_secret,
        sender_name=args.sender_name,
        seed=not args.no_seed,
    )
    uvicorn.run(create_shop_app(config), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
