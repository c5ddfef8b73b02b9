"""HTTP API for agents: login, conversations, history, transfer, close (OpenAPI at /schema).

Every route but login carries a role guard (:func:`kefu.security.guards.allow`).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.exceptions import (
    ClientException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    TooManyRequestsException,
)
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_409_CONFLICT, HTTP_422_UNPROCESSABLE_ENTITY

from kefu.conversations.errors import (
    AgentUnavailableError,
    ConversationError,
    InvalidTransitionError,
    NotParticipantError,
)
from kefu.gateway.auth import AgentIdentity
from kefu.gateway.state import gateway_state
from kefu.security.guards import allow, authenticate, request_caller
from kefu.security.masking import mask_text
from kefu.security.ratelimit import retry_after_header
from kefu.security.roles import ALL_ROLES, CHAT_ROLES, Role
from kefu.security.service import (
    LastAdminError,
    LoginRefused,
    UnknownAgentError,
    security_state,
)
from kefu.store.errors import ConversationClosedError, ConversationNotFoundError
from kefu.store.records import Conversation, ConversationStatus, SenderKind, StoredMessage
from kefu.store.repositories import Agents
from kefu.store.schema import SQL_INT_MAX


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Agent credentials."""

    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class AgentOut(msgspec.Struct):
    """An agent as the API shows it."""

    id: str
    username: str
    display_name: str
    capacity: int
    online: bool
    role: str = Role.AGENT.value


class RoleRequest(msgspec.Struct, forbid_unknown_fields=True):
    """The role to give an agent: ``agent``, ``supervisor`` or ``admin``."""

    role: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]


class RoleChanged(msgspec.Struct):
    """An agent's role after a change, and what happened to its tokens."""

    agent: AgentOut
    previous: str
    changed: bool
    tokens: str


#: What a role change does to the agent's tokens (the role travels inside each access token).
ROLE_CHANGE_TOKENS = (
    "access tokens carrying the previous role are refused from now on; "
    "the next token refresh (or sign-in) carries the new role"
)


class LoginResponse(msgspec.Struct):
    """A short-lived access token (for the HTTP API and /ws/agent) and its refresh token."""

    token: str
    refresh_token: str
    expires_in: int
    role: str
    agent: AgentOut


class ConversationOut(msgspec.Struct):
    """A conversation as the API shows it."""

    id: str
    visitor_id: str
    status: str
    agent_id: str | None
    last_seq: int
    visitor_read_seq: int
    agent_read_seq: int
    created_at: str
    updated_at: str
    queue_position: int = 0
    waited_seconds: float = 0.0


class MessageItem(msgspec.Struct):
    """A stored message as the agent sees it."""

    seq: int
    sender: str
    sender_id: str
    client_msg_id: str
    text: str
    time: str
    filter_action: str
    blocked: bool
    verdicts: list[dict[str, Any]]


class TransferRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Whom to hand the conversation to."""

    to_agent_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


def _conversation_out(c: Conversation, position: int = 0, waited: float = 0.0) -> ConversationOut:
    return ConversationOut(
        id=c.id,
        visitor_id=c.visitor_id,
        status=c.status.value,
        agent_id=c.agent_id,
        last_seq=c.last_seq,
        visitor_read_seq=c.visitor_read_seq,
        agent_read_seq=c.agent_read_seq,
        created_at=c.created_at.isoformat(),
        updated_at=c.updated_at.isoformat(),
        queue_position=position,
        waited_seconds=round(waited, 1),
    )


def _message_item(m: StoredMessage) -> MessageItem:
    return MessageItem(
        seq=m.seq,
        sender=m.sender_kind.value,
        sender_id=m.sender_id,
        client_msg_id=m.client_msg_id,
        # Personal data leaves masked (the masking sandbox, kefu.security.sandbox).
        text=mask_text(m.text if m.sender_kind is SenderKind.AGENT else m.delivered_text),
        time=m.created_at.isoformat(),
        filter_action=m.filter_action,
        blocked=m.blocked,
        verdicts=[dict(v) for v in m.verdicts],
    )


async def current_agent(request: Request[Any, Any, Any]) -> AgentIdentity:
    """The person named by the ``Authorization: Bearer`` access token; 401 otherwise."""
    caller = await authenticate(request)
    if caller.identity is None:
        raise NotAuthorizedException("this route needs a person's access token, not an API key")
    return caller.identity


def _domain_error(exc: Exception) -> Exception:
    if isinstance(exc, ConversationNotFoundError):
        return NotFoundException(str(exc))
    if isinstance(exc, NotParticipantError):
        return PermissionDeniedException(str(exc))
    if isinstance(exc, AgentUnavailableError | InvalidTransitionError | ConversationClosedError):
        return ClientException(str(exc), status_code=HTTP_409_CONFLICT)
    if isinstance(exc, ConversationError):
        return ClientException(str(exc))
    return exc


class AgentAuthController(Controller):
    """People's login (argon2 passwords, lockout; tokens from kefu.security) and the roster."""

    path = "/api/agents"
    tags = ["agents"]  # noqa: RUF012

    @post("/login", status_code=HTTP_200_OK)
    async def login(
        self, request: Request[Any, Any, Any], data: JSONBody[LoginRequest]
    ) -> LoginResponse:
        """Exchange a username and password for an access and a refresh token (429: locked out)."""
        client = request.client.host if request.client else "unknown"
        try:
            session = await security_state(request).login(data.username, data.password, client)
        except LoginRefused as exc:
            if exc.retry_after > 0:
                raise TooManyRequestsException(
                    str(exc), headers={"Retry-After": retry_after_header(exc.retry_after)}
                ) from exc
            raise NotAuthorizedException(str(exc)) from exc
        agent = session.agent
        return LoginResponse(
            token=session.access_token,
            refresh_token=session.refresh_token,
            expires_in=session.expires_in,
            role=session.role,
            agent=AgentOut(
                agent.id,
                agent.username,
                agent.display_name,
                agent.capacity,
                agent.online,
                session.role,
            ),
        )

    @get("/", dependencies={"agent": Provide(current_agent)}, guards=[allow(ALL_ROLES)])
    async def list_agents(
        self, request: Request[Any, Any, Any], agent: NamedDependency[AgentIdentity]
    ) -> list[AgentOut]:
        """Every agent with presence (for transfers) and role."""
        async with gateway_state(request).database.read() as conn:
            agents = await Agents(conn).all()
        roles = await security_state(request).roles()
        return [
            AgentOut(
                a.id,
                a.username,
                a.display_name,
                a.capacity,
                a.online,
                roles.get(a.id, Role.AGENT.value),
            )
            for a in agents
        ]

    @put("/{agent_id:str}/role", guards=[allow({Role.ADMIN}, {"admin"})])
    async def change_role(
        self, request: Request[Any, Any, Any], agent_id: FromPath[str], data: JSONBody[RoleRequest]
    ) -> RoleChanged:
        """Give an agent another role (admins): 422 unknown role, 404 unknown agent, 409 when
        it would demote the last admin. Audited as ``agent.role_change``.

        The role travels inside access tokens: the agent's tokens carrying the old role are
        refused at once, and its next refresh issues one with the new role.
        """
        valid = sorted(r.value for r in Role)
        if data.role not in valid:
            raise ClientException(
                f"unknown role {data.role!r}; choose one of {', '.join(valid)}",
                status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        caller = request_caller(request)
        try:
            change = await security_state(request).change_role(
                agent_id, Role(data.role), f"{caller.kind}:{caller.id}"
            )
        except UnknownAgentError as exc:
            raise NotFoundException(str(exc)) from exc
        except LastAdminError as exc:
            raise ClientException(str(exc), status_code=HTTP_409_CONFLICT) from exc
        async with gateway_state(request).database.read() as conn:
            agent = await Agents(conn).get(agent_id)
        if agent is None:  # deleted in between: the change went nowhere visible
            raise NotFoundException(f"no agent has the id {agent_id!r}")
        return RoleChanged(
            agent=AgentOut(
                agent.id,
                agent.username,
                agent.display_name,
                agent.capacity,
                agent.online,
                change.role,
            ),
            previous=change.previous,
            changed=change.changed,
            tokens=ROLE_CHANGE_TOKENS if change.changed else "unchanged",
        )


class ConversationController(Controller):
    """Conversations and their history, for agents."""

    path = "/api/conversations"
    tags = ["conversations"]  # noqa: RUF012
    dependencies = {"agent": Provide(current_agent)}  # noqa: RUF012
    guards = [allow(ALL_ROLES)]  # noqa: RUF012

    @get("/")
    async def list_conversations(
        self,
        request: Request[Any, Any, Any],
        agent: NamedDependency[AgentIdentity],
        status: FromQuery[ConversationStatus | None] = None,
        mine: FromQuery[bool] = False,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        offset: Annotated[int, QueryParameter(ge=0, le=SQL_INT_MAX)] = 0,
    ) -> list[ConversationOut]:
        """Conversations, most recently active first; ``mine`` keeps the caller's own."""
        found = await gateway_state(request).service.find(
            status=status, agent_id=agent.agent_id if mine else None, limit=limit, offset=offset
        )
        return [_conversation_out(c) for c in found]

    @get("/{conversation_id:str}")
    async def get_conversation(
        self,
        request: Request[Any, Any, Any],
        agent: NamedDependency[AgentIdentity],
        conversation_id: FromPath[str],
    ) -> ConversationOut:
        """One conversation with its queue position."""
        try:
            view = await gateway_state(request).service.view(conversation_id)
        except Exception as exc:
            raise _domain_error(exc) from exc
        return _conversation_out(view.conversation, view.queue_position, view.waited_seconds)

    @get("/{conversation_id:str}/messages")
    async def list_messages(
        self,
        request: Request[Any, Any, Any],
        agent: NamedDependency[AgentIdentity],
        conversation_id: FromPath[str],
        since: Annotated[int, QueryParameter(ge=0, le=SQL_INT_MAX)] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
    ) -> list[MessageItem]:
        """Messages after sequence number ``since``, in order."""
        try:
            found = await gateway_state(request).service.history(
                conversation_id, SenderKind.AGENT, since, limit
            )
        except Exception as exc:
            raise _domain_error(exc) from exc
        return [_message_item(m) for m in found]

    @post("/{conversation_id:str}/transfer", status_code=HTTP_200_OK, guards=[allow(CHAT_ROLES)])
    async def transfer(
        self,
        request: Request[Any, Any, Any],
        agent: NamedDependency[AgentIdentity],
        conversation_id: FromPath[str],
        data: JSONBody[TransferRequest],
    ) -> ConversationOut:
        """Hand the caller's conversation to another online agent with free capacity."""
        try:
            moved = await gateway_state(request).service.transfer(
                conversation_id, agent.agent_id, data.to_agent_id
            )
        except Exception as exc:
            raise _domain_error(exc) from exc
        return _conversation_out(moved)

    @post("/{conversation_id:str}/close", status_code=HTTP_200_OK, guards=[allow(CHAT_ROLES)])
    async def close(
        self,
        request: Request[Any, Any, Any],
        agent: NamedDependency[AgentIdentity],
        conversation_id: FromPath[str],
    ) -> ConversationOut:
        """Close the caller's conversation."""
        try:
            closed = await gateway_state(request).service.close(
                conversation_id, SenderKind.AGENT, agent.agent_id
            )
        except Exception as exc:
            raise _domain_error(exc) from exc
        return _conversation_out(closed)


@get("/api/health", tags=["operations"])
async def health(request: Request[Any, Any, Any]) -> dict[str, str]:
    """Readiness: the app started and its database answers."""
    await gateway_state(request).database.ping()
    return {"status": "ok"}
