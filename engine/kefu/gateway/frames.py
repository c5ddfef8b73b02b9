"""The WebSocket frame protocol, version 1 (docs/protocol.md), as strict msgspec structs.

Client frames are tagged unions on the ``type`` field, decoded in one pass; unknown fields,
wrong types and missing fields are rejected. Server frames are encoded with the same library.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

import msgspec

PROTOCOL_VERSION: Final = 1

ClientMsgId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
ConversationId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Seq = Annotated[int, msgspec.Meta(ge=0)]


class _ClientFrame(msgspec.Struct, tag_field="type", forbid_unknown_fields=True):
    """Base of every frame a client sends."""


# -------------------------------------------------------------------- visitor -> server


class VisitorHello(_ClientFrame, tag="hello"):
    """Start (no token or no conversation) or resume a conversation after ``last_seq``."""

    v: int = PROTOCOL_VERSION
    visitor_token: str | None = None
    conversation_id: ConversationId | None = None
    last_seq: Seq = 0
    display_name: Annotated[str, msgspec.Meta(max_length=200)] = ""


class VisitorMessage(_ClientFrame, tag="message"):
    """A chat message; ``client_msg_id`` makes a resend idempotent."""

    client_msg_id: ClientMsgId
    text: str


class VisitorTyping(_ClientFrame, tag="typing"):
    """The visitor is (or stopped) typing."""

    active: bool = True


class VisitorRead(_ClientFrame, tag="read"):
    """The visitor has read everything up to ``seq``."""

    seq: Seq


class VisitorClose(_ClientFrame, tag="close"):
    """The visitor ends the conversation."""


class Ping(_ClientFrame, tag="ping"):
    """Keep-alive; answered with ``pong``."""


VisitorFrame = VisitorHello | VisitorMessage | VisitorTyping | VisitorRead | VisitorClose | Ping

# -------------------------------------------------------------------- agent -> server


class AgentHello(_ClientFrame, tag="hello"):
    """Authenticate and resume: ``last_seqs`` maps conversation ids to the last seq seen."""

    token: str
    v: int = PROTOCOL_VERSION
    last_seqs: dict[str, Seq] = msgspec.field(default_factory=dict)


class AgentMessage(_ClientFrame, tag="message"):
    """A reply from the agent in one of their conversations."""

    conversation_id: ConversationId
    client_msg_id: ClientMsgId
    text: str


class AgentTyping(_ClientFrame, tag="typing"):
    """The agent is (or stopped) typing in a conversation."""

    conversation_id: ConversationId
    active: bool = True


class AgentRead(_ClientFrame, tag="read"):
    """The agent has read a conversation up to ``seq``."""

    conversation_id: ConversationId
    seq: Seq


class AgentSync(_ClientFrame, tag="sync"):
    """Ask for the messages of a conversation after ``last_seq`` (e.g. after a gap)."""

    conversation_id: ConversationId
    last_seq: Seq = 0


class AgentTransfer(_ClientFrame, tag="transfer"):
    """Hand a conversation to another agent."""

    conversation_id: ConversationId
    to_agent_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class AgentClose(_ClientFrame, tag="close"):
    """Close a conversation."""

    conversation_id: ConversationId


AgentFrame = (
    AgentHello
    | AgentMessage
    | AgentTyping
    | AgentRead
    | AgentSync
    | AgentTransfer
    | AgentClose
    | Ping
)

# -------------------------------------------------------------------- server -> client


class _ServerFrame(msgspec.Struct, tag_field="type"):
    """Base of every frame the server sends."""


class AgentInfo(msgspec.Struct):
    """The public face of an agent."""

    id: str
    display_name: str


class VisitorWelcome(_ServerFrame, tag="welcome"):
    """Answer to a visitor hello: where the conversation stands; a replay follows."""

    conversation_id: str
    visitor_id: str
    visitor_token: str
    status: str
    last_seq: int
    agent: AgentInfo | None = None
    queue_position: int = 0
    v: int = PROTOCOL_VERSION


class ConversationSummary(msgspec.Struct):
    """One conversation an agent owns."""

    conversation_id: str
    visitor_id: str
    status: str
    last_seq: int
    read_seq: int


class AgentWelcome(_ServerFrame, tag="welcome"):
    """Answer to an agent hello: who they are and what they own; replays follow."""

    agent_id: str
    username: str
    display_name: str
    conversations: list[ConversationSummary]
    v: int = PROTOCOL_VERSION


class Ack(_ServerFrame, tag="ack"):
    """The message is durably stored under ``seq`` (``duplicate``: it was a resend)."""

    client_msg_id: str
    conversation_id: str
    seq: int
    duplicate: bool = False
    blocked: bool = False


class MessageOut(_ServerFrame, tag="message"):
    """A stored message, live or replayed."""

    conversation_id: str
    seq: int
    sender: str
    sender_id: str
    client_msg_id: str
    text: str
    time: str
    filter_action: str = "allow"
    blocked: bool = False


class Synced(_ServerFrame, tag="synced"):
    """A replay is complete: the client has everything up to ``last_seq``."""

    conversation_id: str
    last_seq: int


class TypingOut(_ServerFrame, tag="typing"):
    """The other side is (or stopped) typing."""

    conversation_id: str
    sender: str
    active: bool


class ReadOut(_ServerFrame, tag="read"):
    """The other side read up to ``seq``."""

    conversation_id: str
    by: str
    seq: int


class EventOut(_ServerFrame, tag="event"):
    """A system event: assigned, transferred, queued, closed, blocked, suggestions."""

    conversation_id: str
    name: str
    data: dict[str, Any] = msgspec.field(default_factory=dict)


class ErrorOut(_ServerFrame, tag="error"):
    """Something the client sent was refused; the connection stays open."""

    code: str
    message: str
    ref: str | None = None


class Pong(_ServerFrame, tag="pong"):
    """Answer to ping."""


SharedFrame = Ack | MessageOut | Synced | TypingOut | ReadOut | EventOut | ErrorOut | Pong
VisitorServerFrame = VisitorWelcome | SharedFrame
AgentServerFrame = AgentWelcome | SharedFrame
ServerFrame = VisitorWelcome | AgentWelcome | SharedFrame

# -------------------------------------------------------------------- codecs

_encoder = msgspec.json.Encoder()
_visitor_decoder = msgspec.json.Decoder(VisitorFrame)
_agent_decoder = msgspec.json.Decoder(AgentFrame)
_shared_decoder = msgspec.json.Decoder(SharedFrame)
_visitor_server_decoder = msgspec.json.Decoder(VisitorServerFrame)
_agent_server_decoder = msgspec.json.Decoder(AgentServerFrame)


class FrameError(Exception):
    """A frame was refused; ``code`` goes into the error frame."""

    def __init__(self, code: str, message: str, ref: str | None = None) -> None:
        self.code = code
        self.message = message
        self.ref = ref
        super().__init__(f"{code}: {message}")


def encode(frame: ServerFrame) -> bytes:
    """Serialise a server frame to JSON."""
    return _encoder.encode(frame)


def decode_shared(raw: bytes | str) -> SharedFrame:
    """Parse a server frame other than welcome (what travels through fan-out)."""
    frame: SharedFrame = _shared_decoder.decode(raw)
    return frame


def decode_for_visitor(raw: bytes | str) -> VisitorServerFrame:
    """Parse a frame as a visitor client receives it (Python clients and tests)."""
    frame: VisitorServerFrame = _visitor_server_decoder.decode(raw)
    return frame


def decode_for_agent(raw: bytes | str) -> AgentServerFrame:
    """Parse a frame as an agent client receives it (Python clients and tests)."""
    frame: AgentServerFrame = _agent_server_decoder.decode(raw)
    return frame


def _decode(decoder: msgspec.json.Decoder[Any], raw: bytes | str, max_bytes: int) -> Any:
    # A character is at most 4 bytes of UTF-8: only a text that might be over is encoded.
    size = len(raw.encode()) if isinstance(raw, str) and len(raw) * 4 > max_bytes else len(raw)
    if size > max_bytes:
        raise FrameError("frame_too_large", f"frame has {size} bytes; the limit is {max_bytes}")
    try:
        return decoder.decode(raw)
    except msgspec.ValidationError as exc:
        text = str(exc)
        if text.endswith("`$.type`") or "missing required field `type`" in text:
            raise FrameError("unknown_type", f"unknown or missing frame type: {text}") from exc
        raise FrameError("invalid_frame", text) from exc
    except msgspec.DecodeError as exc:
        raise FrameError("bad_json", f"frame is not valid JSON: {exc}") from exc


def decode_visitor(raw: bytes | str, max_bytes: int) -> VisitorFrame:
    """Parse a visitor frame; raises FrameError with the error code to send back."""
    frame: VisitorFrame = _decode(_visitor_decoder, raw, max_bytes)
    return frame


def decode_agent(raw: bytes | str, max_bytes: int) -> AgentFrame:
    """Parse an agent frame; raises FrameError with the error code to send back."""
    frame: AgentFrame = _decode(_agent_decoder, raw, max_bytes)
    return frame
