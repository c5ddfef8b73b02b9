"""Turns an authenticated caller into the integration module's action principal."""

from __future__ import annotations

from typing import Any

from kefu.integration.permissions import AGENT_SCOPES, Principal, Role
from kefu.security.guards import authenticate

#: What an API key with ``actions:execute`` may run (limits of the supervisor role apply).
KEY_ACTION_SCOPES = AGENT_SCOPES


async def caller_principal(request: Any) -> Principal:
    """The principal of a request: a person with their role, or an API key.

    Route guards already refused callers without the right role or scope; an API key acts
    with the supervisor role's amount limits and only when it holds ``actions:execute``.
    """
    caller = await authenticate(request)
    if caller.identity is not None and caller.role is not None:
        return Principal(id=caller.id, role=caller.role, scopes=AGENT_SCOPES)
    scopes = KEY_ACTION_SCOPES if caller.scopes & {"actions:execute", "admin"} else frozenset()
    return Principal(id=f"key:{caller.id}", role=Role.SUPERVISOR, scopes=scopes)
