"""The objects the gateway's handlers share, built once by ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.channels import ChannelsPlugin
from litestar.connection import ASGIConnection

from kefu.bus.base import EventBus
from kefu.conversations.service import ConversationService
from kefu.gateway.auth import TokenSigner
from kefu.settings import Settings
from kefu.store.database import Database
from kefu.store.writer import MessageWriter

STATE_KEY = "kefu"


@dataclass(frozen=True, slots=True)
class GatewayState:
    """Settings, store, domain service, token signer, channels and bus of one app."""

    settings: Settings
    database: Database
    writer: MessageWriter
    service: ConversationService
    signer: TokenSigner
    channels: ChannelsPlugin
    #: The durable event bus (conversation events are published to it).
    bus: EventBus


def gateway_state(connection: ASGIConnection[Any, Any, Any, Any]) -> GatewayState:
    """The state of the app serving ``connection``."""
    state: GatewayState = connection.app.state[STATE_KEY]
    return state
