"""The role + scope model of the action proxy, and parameter validation."""

from __future__ import annotations

import pytest

from kefu.integration.actions import validate_params
from kefu.integration.errors import ActionError
from kefu.integration.permissions import AGENT_SCOPES, PermissionPolicy, Principal, Role

AGENT = Principal("a1", Role.AGENT, AGENT_SCOPES)
SUPERVISOR = Principal("s1", Role.SUPERVISOR, AGENT_SCOPES)


def test_an_agent_may_refund_within_the_limit() -> None:
    PermissionPolicy().check(AGENT, "refund", {"amount_cents": 100_00})


def test_over_the_agent_limit_needs_a_supervisor() -> None:
    with pytest.raises(ActionError, match="over_limit"):
        PermissionPolicy().check(AGENT, "refund", {"amount_cents": 100_01})
    PermissionPolicy().check(SUPERVISOR, "refund", {"amount_cents": 100_01})


def test_a_missing_scope_or_unknown_kind_is_refused() -> None:
    with pytest.raises(ActionError) as scope:
        PermissionPolicy().check(Principal("x", Role.ADMIN), "flag_order", {})
    assert (scope.value.status, scope.value.code) == (403, "missing_scope")
    with pytest.raises(ActionError) as kind:
        PermissionPolicy().check(AGENT, "delete_customer", {})
    assert (kind.value.status, kind.value.code) == (404, "unknown_action")


def test_params_are_normalised_or_refused() -> None:
    assert validate_params("issue_coupon", {"value_cents": 500}) == {
        "value_cents": 500,
        "reason": "",
        "days_valid": 30,
    }
    for bad in ({"value_cents": 0}, {"value_cents": "5"}, {"value_cents": 5, "days_valid": 999}):
        with pytest.raises(ActionError, match="invalid_params"):
            validate_params("issue_coupon", bad)
