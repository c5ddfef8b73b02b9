"""Who may run which business action: a small role + scope model, with per-role amount limits.

Until Kefu's security module supplies principals from JWTs and API keys, callers build a
:class:`Principal` themselves. A principal needs the action's scope, a role the action allows,
and, for money, an amount within its role's limit.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kefu.integration.errors import ActionError


class Role(enum.StrEnum):
    """What a person does in Kefu."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of an action: who, in which role, with which scopes."""

    id: str
    role: Role
    scopes: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ActionRule:
    """The permission rule of one action kind."""

    scope: str
    roles: frozenset[Role]
    #: Name of the money parameter to limit, and the most each role may move (absent: no cap).
    amount_param: str | None = None
    limits: Mapping[Role, int] = field(default_factory=dict)


#: The scopes an agent gets by default.
AGENT_SCOPES = frozenset({"actions:refund", "actions:coupon", "actions:flag_order"})

DEFAULT_RULES: dict[str, ActionRule] = {
    "refund": ActionRule(
        scope="actions:refund",
        roles=frozenset(Role),
        amount_param="amount_cents",
        limits={Role.AGENT: 100_00, Role.SUPERVISOR: 1_000_00},
    ),
    "issue_coupon": ActionRule(
        scope="actions:coupon",
        roles=frozenset(Role),
        amount_param="value_cents",
        limits={Role.AGENT: 20_00},
    ),
    "flag_order": ActionRule(scope="actions:flag_order", roles=frozenset(Role)),
}


class PermissionPolicy:
    """Checks a principal against the rule of an action kind."""

    def __init__(self, rules: Mapping[str, ActionRule] | None = None) -> None:
        self.rules = dict(DEFAULT_RULES if rules is None else rules)

    def check(self, principal: Principal, kind: str, params: Mapping[str, Any]) -> None:
        """Raise ActionError (404 unknown kind, 403 not allowed) unless permitted."""
        rule = self.rules.get(kind)
        if rule is None:
            known = ", ".join(sorted(self.rules))
            raise ActionError(404, "unknown_action", f"no action {kind!r}; known: {known}")
        if principal.role not in rule.roles:
            raise ActionError(
                403, "forbidden_role", f"role {principal.role.value!r} may not {kind}"
            )
        if rule.scope not in principal.scopes:
            raise ActionError(403, "missing_scope", f"{kind} needs the scope {rule.scope!r}")
        if rule.amount_param is not None and principal.role in rule.limits:
            amount = params.get(rule.amount_param)
            limit = rule.limits[principal.role]
            if isinstance(amount, int) and amount > limit:
                raise ActionError(
                    403,
                    "over_limit",
                    f"{kind} of {amount} is over the {principal.role.value} limit of {limit}",
                )
