"""The security objects of one Kefu process, built once by ``create_app``.

:class:`Security` authenticates people (passwords, access/refresh tokens, revocation) and
business systems (API keys), and owns the rate limiter. Handlers find it with
:func:`security_state`.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from litestar.connection import ASGIConnection

from kefu.gateway.auth import AgentIdentity, InvalidTokenError, TokenSigner
from kefu.security.apikeys import ApiKeyError, ApiKeyInfo, ApiKeys
from kefu.security.audit import AuditChain
from kefu.security.passwords import DUMMY_HASH, check_password, hash_password
from kefu.security.ratelimit import RateLimiter, create_rate_limiter
from kefu.security.refresh import RefreshTokens
from kefu.security.revocation import RevocationList
from kefu.security.roles import Role
from kefu.security.sandbox import POLICIES, mask_document
from kefu.security.settings import SecuritySettings
from kefu.security.tables import agent_roles
from kefu.security.tables import refresh_tokens as refresh_table
from kefu.security.unmask import UnmaskGrants
from kefu.store.database import Database
from kefu.store.records import Agent, utcnow
from kefu.store.repositories import Agents, AuditLog

SECURITY_STATE_KEY = "kefu.security"


class LoginRefused(Exception):
    """Wrong credentials, or too many failures (``retry_after`` > 0)."""

    def __init__(self, message: str, retry_after: float = 0.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UnknownAgentError(LookupError):
    """No agent has that id."""


class LastAdminError(Exception):
    """The change would leave Kefu without an administrator."""


@dataclass(frozen=True, slots=True)
class RoleChange:
    """What changing an agent's role did."""

    agent_id: str
    previous: str
    role: str

    @property
    def changed(self) -> bool:
        """Whether the stored role is different now."""
        return self.previous != self.role


def role_revocation_key(agent_id: str, role: str) -> str:
    """The revocation-list entry refusing ``agent_id``'s tokens that carry ``role``."""
    return f"role:{agent_id}:{role}"


@dataclass(frozen=True, slots=True)
class Session:
    """What a login or refresh hands out."""

    access_token: str
    refresh_token: str
    expires_in: int
    agent: Agent
    role: str


@dataclass(frozen=True, slots=True)
class Caller:
    """Who made an HTTP request: a person (agent token) or a business system (API key)."""

    kind: str  # "agent" | "api_key"
    id: str
    role: Role | None = None
    scopes: frozenset[str] = frozenset()
    identity: AgentIdentity | None = None


class Security:
    """Authentication and rate limiting of one process."""

    def __init__(
        self,
        settings: SecuritySettings,
        database: Database,
        signer: TokenSigner,
        *,
        bus_url: str = "memory://",
    ) -> None:
        self.settings = settings
        self.database = database
        self.signer = signer
        redis_url = bus_url if bus_url.split("://", 1)[0] in {"redis", "rediss", "unix"} else None
        # Redis keys are namespaced by the signing key: Kefu deployments may share one Redis.
        namespace = hashlib.sha256(signer.key_id.encode()).hexdigest()[:12] + ":"
        self.revocations = RevocationList(redis_url, namespace=namespace)
        self.limiter: RateLimiter = create_rate_limiter(bus_url, namespace)
        self.refresh_tokens = RefreshTokens(database, timedelta(seconds=settings.refresh_ttl))
        self.api_keys = ApiKeys(database)
        self.audit = AuditChain(database)
        self.unmask = UnmaskGrants(
            database,
            timedelta(seconds=settings.unmask_ttl),
            requires_approval=settings.unmask_requires_approval,
        )

    async def start(self) -> None:
        """Load revocations and keep them fresh."""
        await self.revocations.refresh()
        self.revocations.start()
        self.audit.start()

    async def close(self) -> None:
        """Stop background work and close connections."""
        await self.audit.close()
        await self.revocations.close()
        await self.limiter.close()

    # People -------------------------------------------------------------------------------

    def verify_access(self, token: str | None) -> AgentIdentity:
        """The identity of a valid, unrevoked access token (in memory); InvalidTokenError else."""
        identity = self.signer.verify_agent(token)
        if self.revocations.is_revoked(identity.jti):
            raise InvalidTokenError("the token was revoked")
        if identity.role not in Role.__members__.values():
            raise InvalidTokenError(f"unknown role {identity.role!r}")
        if self.role_withdrawn(identity):
            raise InvalidTokenError(
                f"the agent's role is no longer {identity.role!r}; renew the token"
            )
        return identity

    def role_withdrawn(self, identity: AgentIdentity) -> bool:
        """Whether the role ``identity``'s token carries was changed after it was issued.

        A role change refuses the tokens issued before it that carry the old role (in memory,
        synchronised across processes like other revocations: cheap enough for every frame).
        """
        cutoff = self.revocations.revoked_until(
            role_revocation_key(identity.agent_id, identity.role)
        )
        return bool(identity.expires_at) and identity.expires_at <= cutoff

    async def login(self, username: str, password: str, ip: str) -> Session:
        """Check a password (with lockout) and open a session; raises LoginRefused."""
        bucket = f"login:{username.lower()}:{ip}"
        wait = await self.limiter.take(
            bucket,
            self.settings.login_attempts / self.settings.login_window,
            self.settings.login_attempts,
        )
        if wait > 0:
            raise LoginRefused("too many failed logins; try again later", retry_after=wait)
        async with self.database.read() as conn:
            found = await Agents(conn).password_hash(username)
        stored = found[1] if found else DUMMY_HASH
        outcome = await asyncio.to_thread(check_password, password, stored)
        if found is None or not outcome.ok:
            async with self.database.write() as conn:
                await AuditLog(conn).record(
                    f"ip:{ip}", "agent.login_failed", f"username:{username[:64]}"
                )
            raise LoginRefused("wrong username or password")
        await self.limiter.reset(bucket)
        agent = found[0]
        if outcome.needs_rehash:
            fresh = await asyncio.to_thread(hash_password, password)
            async with self.database.write() as conn:
                await conn.execute(
                    sa.text("UPDATE agents SET password_hash = :h WHERE id = :id"),
                    {"h": fresh, "id": agent.id},
                )
        role = await self.role_of(agent.id)
        async with self.database.write() as conn:
            await AuditLog(conn).record(
                f"agent:{agent.id}", "agent.login", f"agent:{agent.id}", {"role": role}
            )
        refresh, _family = await self.refresh_tokens.issue(agent.id)
        return self._session(agent, role, refresh)

    async def refresh(self, refresh_token: str) -> Session:
        """Rotate a refresh token into a new session; raises RefreshError."""
        rotated = await self.refresh_tokens.rotate(refresh_token)
        async with self.database.read() as conn:
            agent = await Agents(conn).get(rotated.agent_id)
        if agent is None:
            raise InvalidTokenError("the agent no longer exists")
        role = await self.role_of(agent.id)
        return self._session(agent, role, rotated.token)

    async def logout(self, identity: AgentIdentity, refresh_token: str | None) -> None:
        """Revoke the access token (everywhere) and the refresh family."""
        await self.revocations.revoke(identity.jti, identity.expires_at)
        if refresh_token:
            await self.refresh_tokens.revoke_token_family(refresh_token)
        async with self.database.write() as conn:
            await AuditLog(conn).record(
                f"agent:{identity.agent_id}", "agent.logout", f"agent:{identity.agent_id}"
            )

    async def role_of(self, agent_id: str) -> str:
        """The stored role of an agent."""
        async with self.database.read() as conn:
            role = (
                await conn.execute(
                    sa.select(agent_roles.c.role).where(agent_roles.c.id == agent_id)
                )
            ).scalar()
        return str(role or Role.AGENT.value)

    async def set_role(self, agent_id: str, role: Role) -> None:
        """Change an agent's role (effective from its next token)."""
        async with self.database.write() as conn:
            await conn.execute(
                sa.update(agent_roles).where(agent_roles.c.id == agent_id).values(role=role.value)
            )

    async def roles(self) -> dict[str, str]:
        """Every agent's stored role, by agent id."""
        async with self.database.read() as conn:
            rows = (await conn.execute(sa.select(agent_roles.c.id, agent_roles.c.role))).all()
        return {str(r.id): str(r.role or Role.AGENT.value) for r in rows}

    async def change_role(self, agent_id: str, role: Role, actor: str) -> RoleChange:
        """Give an agent another role, audited; refuses to leave Kefu without an admin.

        The agent's access tokens carrying the old role are refused from then on (on every
        process, through the revocation list); its refresh tokens stay valid, so the next
        refresh issues a token with the new role. Raises UnknownAgentError, LastAdminError.
        """
        async with self.database.write() as conn:
            # Lock the agent and every admin in one id-ordered statement: concurrent changes
            # on PostgreSQL queue instead of deadlocking, and each sees the other's result.
            rows = (
                await conn.execute(
                    sa.select(agent_roles.c.id, agent_roles.c.role)
                    .where(
                        sa.or_(
                            agent_roles.c.id == agent_id,
                            agent_roles.c.role == Role.ADMIN.value,
                        )
                    )
                    .order_by(agent_roles.c.id)
                    .with_for_update()
                )
            ).all()
            current = {str(r.id): str(r.role or Role.AGENT.value) for r in rows}
            if agent_id not in current:
                raise UnknownAgentError(f"no agent has the id {agent_id!r}")
            previous = current[agent_id]
            if previous == role.value:
                return RoleChange(agent_id, previous, previous)
            admins = [i for i, r in current.items() if r == Role.ADMIN.value]
            if previous == Role.ADMIN.value and len(admins) <= 1:
                raise LastAdminError("this is the last admin: make another agent admin first")
            await conn.execute(
                sa.update(agent_roles).where(agent_roles.c.id == agent_id).values(role=role.value)
            )
            live = (
                await conn.execute(
                    sa.select(sa.func.count(sa.distinct(refresh_table.c.family))).where(
                        refresh_table.c.agent_id == agent_id,
                        refresh_table.c.revoked_at.is_(None),
                        refresh_table.c.used_at.is_(None),
                        refresh_table.c.expires_at > utcnow(),
                    )
                )
            ).scalar_one()
            await AuditLog(conn).record(
                actor,
                "agent.role_change",
                f"agent:{agent_id}",
                {"from": previous, "to": role.value, "sessions": int(live)},
            )
        await self.revocations.revoke(
            role_revocation_key(agent_id, previous),
            time.time() + self.signer.agent_ttl.total_seconds(),
        )
        return RoleChange(agent_id, previous, role.value)

    def _session(self, agent: Agent, role: str, refresh_token: str) -> Session:
        return Session(
            access_token=self.signer.agent_token(agent.id, agent.username, role),
            refresh_token=refresh_token,
            expires_in=int(self.signer.agent_ttl.total_seconds()),
            agent=agent,
            role=role,
        )

    # The masking sandbox -----------------------------------------------------------------

    async def mask_for(self, caller: Caller, customer_id: str, document: Any) -> Any:
        """``document`` as ``caller`` may see it: masked by role, minus active unmask grants."""
        policy = POLICIES[caller.role.value if caller.role else "api_key"]
        fields: list[str] = []
        if caller.kind == "agent":
            fields = await self.unmask.active_fields(caller.id, customer_id)
        masked = mask_document(document, policy, unmasked=fields)
        if fields:
            await self.unmask.record_view(caller.id, customer_id, fields)
        return masked

    # Business systems ---------------------------------------------------------------------

    async def verify_api_key(self, key: str) -> ApiKeyInfo:
        """A valid key's listing; raises ApiKeyError."""
        return await self.api_keys.verify(key)


def security_state(connection: ASGIConnection[Any, Any, Any, Any]) -> Security:
    """The security object of the app serving ``connection``."""
    security: Security = connection.app.state[SECURITY_STATE_KEY]
    return security


def token_expired(identity: AgentIdentity, now: float | None = None) -> bool:
    """Whether an access token's lifetime ended (for open sockets)."""
    return identity.expires_at > 0 and (now or time.time()) >= identity.expires_at


__all__ = [
    "ApiKeyError",
    "Caller",
    "LastAdminError",
    "LoginRefused",
    "RoleChange",
    "Security",
    "Session",
    "UnknownAgentError",
    "role_revocation_key",
    "security_state",
]
