"""A Kefu app for the K1 benchmark that measures the chat path without the dialog manager.

``kefu.app:app_from_env`` consults the dialog manager (intent, retrieval, dialog state) on
every visitor message. This factory builds the same server, with the same settings, filters,
store, writer and fan-out, but with an assistant that only hands a bot conversation to a
human: what is left is the chat path K1 is about (validate, filter, persist, ack, route,
push). ``benchmarks/gateway_cpu.py --chat-only`` runs it.
"""

from __future__ import annotations

from litestar import Litestar

from kefu.app import create_app
from kefu.contracts import Decision, DecisionAction
from kefu.settings import load_settings
from kefu.store.records import StoredMessage

_HANDOFF = Decision(DecisionAction.HANDOFF, reasons=("chat-path benchmark",))


class HandoffOnly:
    """An assistant that asks for a human on every message (a no-op once one is assigned)."""

    async def __call__(self, message: StoredMessage) -> Decision:
        """Always hand off; the service ignores it for assigned conversations."""
        return _HANDOFF


def app_from_env() -> Litestar:
    """The Kefu app from ``KEFU_*`` variables, with :class:`HandoffOnly` as its assistant."""
    return create_app(load_settings(), assistant=HandoffOnly())
