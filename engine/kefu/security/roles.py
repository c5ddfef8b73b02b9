"""The roles of people in Kefu (shared with the integration's permission model)."""

from __future__ import annotations

from kefu.integration.permissions import Role

#: Roles that chat with visitors.
CHAT_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR})
#: Roles that may read the audit trail and approve unmasking.
OVERSIGHT_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
#: Every role.
ALL_ROLES = frozenset(Role)

__all__ = ["ALL_ROLES", "CHAT_ROLES", "OVERSIGHT_ROLES", "Role"]
