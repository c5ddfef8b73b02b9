"""Per-conversation dialog state: turns, intent history, slots and handoff, and where it is kept."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from redis.asyncio import Redis

HISTORY = 10


@dataclass(frozen=True, slots=True)
class DialogState:
    """What the dialog manager remembers about one conversation between turns."""

    turns: int = 0
    intents: tuple[str, ...] = ()
    slots: Mapping[str, Any] = field(default_factory=dict)
    handed_off: bool = False
    last_action: str = ""

    def after(self, *, intent: str | None, action: str, handed_off: bool) -> DialogState:
        """The state after one more turn."""
        intents = (*self.intents, intent)[-HISTORY:] if intent else self.intents
        return replace(
            self,
            turns=self.turns + 1,
            intents=intents,
            handed_off=self.handed_off or handed_off,
            last_action=action,
        )

    def to_json(self) -> str:
        """Serialised form for a store."""
        data = asdict(self)
        data["intents"] = list(self.intents)
        data["slots"] = dict(self.slots)
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes) -> DialogState:
        """Parse :meth:`to_json` output; unknown keys are ignored (forward compatible)."""
        data = json.loads(raw)
        return cls(
            turns=int(data.get("turns", 0)),
            intents=tuple(data.get("intents", ())),
            slots=dict(data.get("slots", {})),
            handed_off=bool(data.get("handed_off", False)),
            last_action=str(data.get("last_action", "")),
        )

    def as_mapping(self) -> dict[str, Any]:
        """The read-only view handed to reply policies as ``Turn.state``."""
        return {
            "turns": self.turns,
            "intents": self.intents,
            "slots": dict(self.slots),
            "handed_off": self.handed_off,
            "last_action": self.last_action,
        }


class DialogStateStore(Protocol):
    """Where dialog state lives: the database by default, Redis in a cluster."""

    async def get(self, conversation_id: str) -> DialogState:
        """The state of a conversation (a fresh one if none is stored)."""
        ...

    async def put(self, conversation_id: str, state: DialogState) -> None:
        """Replace the stored state."""
        ...


class RedisDialogStateStore:
    """Dialog state as JSON strings in Redis, expiring after ``ttl_seconds`` of inactivity."""

    def __init__(
        self, redis: Redis[bytes], *, prefix: str = "kefu:dialog:", ttl_seconds: int = 86_400
    ):
        self._redis = redis
        self._prefix = prefix
        self._ttl = ttl_seconds

    async def get(self, conversation_id: str) -> DialogState:
        """The state of a conversation (a fresh one if none is stored)."""
        raw = await self._redis.get(self._prefix + conversation_id)
        return DialogState.from_json(raw) if raw else DialogState()

    async def put(self, conversation_id: str, state: DialogState) -> None:
        """Replace the stored state and refresh its expiry."""
        await self._redis.set(self._prefix + conversation_id, state.to_json(), ex=self._ttl)
