"""The objects the gateway's handlers share, built once by ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar.channels import ChannelsPlugin
from litestar.connection import ASGIConnection

from kefu.bus.base import EventBus
from kefu.conversations.service import ConversationService
from kefu.gateway.auth import TokenSigner
from kefu.gateway.dispatch import SocketDispatcher
from kefu.gateway.heartbeat import IdleSweeper
from kefu.settings import Settings
from kefu.store.database import Database
from kefu.store.writer import MessageWriter

STATE_KEY = "kefu"


@dataclass(frozen=True, slots=True)
class GatewayState:
    """Settings, store, service, signer, channels, dispatcher, idle sweeper and bus of an app."""

    settings: Settings
    database: Database
    writer: MessageWriter
    service: ConversationService
    signer: TokenSigner
    channels: ChannelsPlugin
    #: The durable event bus (conversation events are published to it).
    bus: EventBus
    #: Hands fanned-out frames to this process's sockets (built from ``channels``).
    dispatcher: SocketDispatcher = field(init=False)
    #: Closes this process's sockets that stay silent past ``settings.ws_idle_timeout``.
    heartbeat: IdleSweeper = field(init=False)

    def __post_init__(self) -> None:
        # Frozen: the one dispatcher and sweeper of the app are set once, here.
        object.__setattr__(self, "dispatcher", SocketDispatcher(self.channels))
        object.__setattr__(self, "heartbeat", IdleSweeper(self.settings.ws_idle_timeout))


def gateway_state(connection: ASGIConnection[Any, Any, Any, Any]) -> GatewayState:
    """The state of the app serving ``connection``."""
    state: GatewayState = connection.app.state[STATE_KEY]
    return state
