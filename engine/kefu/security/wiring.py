"""Wires the security module into the app once: settings, signer, state, routes, middleware."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from litestar.config.cors import CORSConfig
from litestar.types import ControllerRouterHandler, Middleware

from kefu.gateway.auth import TokenSigner
from kefu.security.audit_http import AuditController
from kefu.security.http import AuthController, KeyController
from kefu.security.identity import VisitorIdentityController
from kefu.security.logmask import install_log_masking
from kefu.security.middleware import SecurityMiddleware
from kefu.security.roles import Role
from kefu.security.service import SECURITY_STATE_KEY, Security
from kefu.security.settings import SecuritySettings
from kefu.security.tables import agent_roles
from kefu.security.unmask_http import UnmaskController
from kefu.settings import Settings
from kefu.store.database import Database

#: Room above an upload route's own limit (multipart framing, one received chunk).
UPLOAD_SLACK = 2 * 1024 * 1024


class SecurityWiring:
    """Everything ``create_app`` mounts for security."""

    def __init__(
        self,
        settings: Settings,
        database: Database,
        security_settings: SecuritySettings | None = None,
    ) -> None:
        conf = security_settings or SecuritySettings()
        install_log_masking([settings.secret_key, conf.identity_secret])
        self.settings = conf
        self.signer = TokenSigner(
            settings.secret_key,
            agent_ttl=timedelta(seconds=conf.access_ttl),
            visitor_ttl=timedelta(seconds=conf.visitor_ttl),
        )
        self.security = Security(conf, database, self.signer, bus_url=settings.bus_url)
        self.route_handlers: list[ControllerRouterHandler] = [
            AuthController,
            KeyController,
            AuditController,
            UnmaskController,
            VisitorIdentityController,
        ]
        self.state: dict[str, Any] = {SECURITY_STATE_KEY: self.security}
        # Pack uploads stream far past the general body cap; the upload route bounds them
        # itself, so the cap here only has to stay clear of that route's own limit.
        uploads = {"/api/packs": settings.pack_upload_max_bytes + UPLOAD_SLACK}
        self.middleware: list[Middleware] = [SecurityMiddleware.wrap(self.security, uploads)]
        self.cors_config = (
            CORSConfig(
                allow_origins=list(conf.allowed_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["authorization", "content-type", "x-api-key"],
                allow_credentials=False,
            )
            if conf.allowed_origins
            else None
        )

    async def start(self) -> None:
        """Start revocation sync."""
        await self.security.start()

    async def close(self) -> None:
        """Stop background work."""
        await self.security.close()


async def set_agent_role(database: Database, username: str, role: Role) -> None:
    """Give the agent ``username`` a role (demo seeding, ``kefu`` admin tools)."""
    async with database.write() as conn:
        await conn.execute(
            sa.update(agent_roles).where(agent_roles.c.username == username).values(role=role.value)
        )
