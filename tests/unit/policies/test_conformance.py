"""Every built-in reply policy passes the ReplyPolicy conformance suite."""

from __future__ import annotations

from kefu import registry
from kefu.contracts import ReplyPolicy
from kefu.testing.policy import ReplyPolicyConformance


class TestHandoff(ReplyPolicyConformance):
    def make_policy(self) -> ReplyPolicy:
        return registry.load("kefu.policy", "handoff")  # type: ignore[no-any-return]


class TestDefault(ReplyPolicyConformance):
    def make_policy(self) -> ReplyPolicy:
        return registry.load("kefu.policy", "default")  # type: ignore[no-any-return]


class TestEcommerce(ReplyPolicyConformance):
    def make_policy(self) -> ReplyPolicy:
        return registry.load("kefu.policy", "ecommerce")  # type: ignore[no-any-return]


class TestEducation(ReplyPolicyConformance):
    def make_policy(self) -> ReplyPolicy:
        return registry.load("kefu.policy", "education")  # type: ignore[no-any-return]


class TestFinanceCompliance(ReplyPolicyConformance):
    def make_policy(self) -> ReplyPolicy:
        return registry.load("kefu.policy", "finance_compliance")  # type: ignore[no-any-return]
