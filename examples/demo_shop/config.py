"""The demo shop's settings: where its database lives, its API key and where webhooks go."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: The API key the demo shop accepts when none is configured (for local demos only).
DEFAULT_API_KEY = "demo-shop-key"


@dataclass(frozen=True, slots=True)
class ShopConfig:
    """Everything the demo shop needs to run."""

    db_path: Path
    api_key: str = DEFAULT_API_KEY
    kefu_url: str = ""
    webhook_secret: str = ""
    #: Name Kefu knows this sender by: webhooks go to ``{kefu_url}/integration/webhooks/{name}``.
    sender_name: str = "demo-shop"
    seed: bool = True
    #: Seconds between webhook delivery attempts grow from this base (doubling, capped).
    retry_base: float = 0.5
    retry_cap: float = 30.0
    max_attempts: int = 12

    @property
    def webhook_url(self) -> str:
        """Kefu's webhook endpoint for this shop, or '' when webhooks are off."""
        if not self.kefu_url:
            return ""
        return f"{self.kefu_url.rstrip('/')}/integration/webhooks/{self.sender_name}"
