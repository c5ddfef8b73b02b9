"""Who hears about what: builds the notices for messages and routing changes."""

from __future__ import annotations

from typing import Any

from kefu.conversations.notices import (
    MessageNotice,
    Notice,
    ReadNotice,
    StatusNotice,
    TypingNotice,
)
from kefu.store.records import Agent, Conversation, ConversationStatus, SenderKind, StoredMessage


def agent_info(agent: Agent) -> dict[str, str]:
    """The public face of an agent, as events carry it."""
    return {"id": agent.id, "display_name": agent.display_name}


def delivery(message: StoredMessage) -> Notice | None:
    """The notice that delivers a stored message to the side(s) that did not send it.

    None when nobody else should get it: blocked messages never leave their sender, and
    visitor messages reach an agent only once one is assigned.
    """
    if message.blocked:
        return None
    to_visitor = message.conversation_id if message.sender_kind is not SenderKind.VISITOR else None
    to_agents: tuple[str, ...] = ()
    if (
        message.sender_kind is not SenderKind.AGENT
        and message.status is ConversationStatus.ASSIGNED
        and message.agent_id
    ):
        to_agents = (message.agent_id,)
    if not to_visitor and not to_agents:
        return None
    return Notice(MessageNotice(message), to_visitor=to_visitor, to_agents=to_agents)


def assigned(
    conversation: Conversation, agent: Agent, *, tell_visitor: bool = True
) -> list[Notice]:
    """``assigned`` for the agent (with what they need to load it) and for the visitor."""
    notices = [
        Notice(
            StatusNotice(
                conversation.id,
                "assigned",
                {
                    "agent": agent_info(agent),
                    "visitor_id": conversation.visitor_id,
                    "last_seq": conversation.last_seq,
                },
            ),
            to_agents=(agent.id,),
        )
    ]
    if tell_visitor:
        notices.append(
            Notice(
                StatusNotice(conversation.id, "assigned", {"agent": agent_info(agent)}),
                to_visitor=conversation.id,
            )
        )
    return notices


def queued(conversation_id: str, position: int, waited_seconds: float) -> Notice:
    """``queued`` for a waiting visitor: place in line and time waited so far."""
    data = {"position": position, "waited_seconds": round(waited_seconds, 1)}
    return Notice(StatusNotice(conversation_id, "queued", data), to_visitor=conversation_id)


def to_sender(message: StoredMessage, event: str, data: dict[str, Any]) -> Notice:
    """An event for whoever sent ``message`` (e.g. ``blocked``)."""
    body = StatusNotice(message.conversation_id, event, dict(data))
    if message.sender_kind is SenderKind.VISITOR:
        return Notice(body, to_visitor=message.conversation_id)
    return Notice(body, to_agents=(message.sender_id,))


def to_other_side(
    conversation: Conversation, side: SenderKind, body: ReadNotice | TypingNotice
) -> Notice:
    """Typing and read receipts go to the side opposite ``side``."""
    if side is SenderKind.VISITOR:
        agents = (conversation.agent_id,) if conversation.agent_id else ()
        return Notice(body, to_agents=agents)
    return Notice(body, to_visitor=conversation.id)
