"""Security settings, from ``KEFU_SECURITY_*`` variables (JSON for lists)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SecuritySettings(BaseSettings):
    """Token lifetimes, login lockout, rate limits, origins and unmask rules."""

    model_config = SettingsConfigDict(env_prefix="KEFU_SECURITY_", extra="forbid", frozen=True)

    access_ttl: float = Field(900.0, gt=0, description="agent access token lifetime (s)")
    refresh_ttl: float = Field(7 * 86400.0, gt=0, description="refresh token lifetime (s)")
    visitor_ttl: float = Field(30 * 86400.0, gt=0, description="visitor token lifetime (s)")
    login_attempts: int = Field(5, ge=1, description="failed logins per username+IP before lockout")
    login_window: float = Field(300.0, gt=0, description="seconds to refill login attempts")
    key_overlap: float = Field(
        3600.0, ge=0, description="seconds a rotated-out API key keeps working"
    )
    http_rate: float = Field(50.0, gt=0, description="HTTP requests per second per IP/API key")
    http_burst: int = Field(100, ge=1, description="HTTP burst per IP/API key")
    frame_rate: float = Field(50.0, gt=0, description="WebSocket frames per second per socket")
    frame_burst: int = Field(200, ge=1, description="WebSocket frame burst per socket")
    max_body_bytes: int = Field(1024 * 1024, ge=1024, description="largest HTTP request body")
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Origins allowed to open WebSockets (and CORS); empty: same host only",
    )
    identity_secret: str = Field(
        "", description="HMAC secret the business signs visitor user ids with; empty: disabled"
    )
    unmask_ttl: float = Field(300.0, gt=0, description="lifetime of an unmask grant (s)")
    unmask_requires_approval: bool = Field(
        False, description="agents' unmask requests wait for a supervisor's approval"
    )
