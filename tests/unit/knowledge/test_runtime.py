"""The pack runtime: serving the active version, hot swap without dropping turns, failed loads."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from knowledge_helpers import set_version

from kefu.assistant.manager import TurnRequest
from kefu.assistant.state import DialogState
from kefu.contracts import DecisionAction, PluginContext
from kefu.knowledge.errors import PackError
from kefu.knowledge.runtime import PackRuntime
from kefu.knowledge.store import PackStore

QUESTION = "what are your opening hours"
V1_ANSWER = "We are open 9:00-18:00, Monday to Saturday."
V2_ANSWER = "We are open around the clock."


class GatedStates:
    """Dialog state in memory; ``get`` of a gated conversation waits until it is opened."""

    def __init__(self) -> None:
        self.states: dict[str, DialogState] = {}
        self.gates: dict[str, asyncio.Event] = {}
        self.waiting: dict[str, asyncio.Event] = {}

    def gate(self, conversation_id: str) -> asyncio.Event:
        self.gates[conversation_id] = asyncio.Event()
        self.waiting[conversation_id] = asyncio.Event()
        return self.gates[conversation_id]

    async def get(self, conversation_id: str) -> DialogState:
        if conversation_id in self.gates:
            self.waiting[conversation_id].set()
            await self.gates[conversation_id].wait()
        return self.states.get(conversation_id, DialogState())

    async def put(self, conversation_id: str, state: DialogState) -> None:
        self.states[conversation_id] = state


@pytest.fixture
def store(tmp_path: Path) -> PackStore:
    return PackStore(tmp_path / "data")


@pytest.fixture
def states() -> GatedStates:
    return GatedStates()


@pytest.fixture
def runtime(store: PackStore, states: GatedStates, tmp_path: Path) -> PackRuntime:
    return PackRuntime(store, "tiny", states, context=PluginContext(tmp_path / "plugins"))


async def test_nothing_loaded_hands_off_with_the_reason(runtime: PackRuntime) -> None:
    decision = await runtime.handle(TurnRequest("c1", QUESTION))
    assert decision.action is DecisionAction.HANDOFF
    assert decision.reasons == ("no knowledge pack is loaded",)
    with pytest.raises(PackError, match="no active version of pack 'tiny'"):
        await runtime.reload()
    decision = await runtime.handle(TurnRequest("c1", QUESTION, agent_assigned=True))
    assert decision.action is DecisionAction.SUGGEST
    assert "no active version" in decision.reasons[0]


async def test_the_active_version_answers_from_its_content(
    runtime: PackRuntime, store: PackStore, tiny: Path, build: Callable[[Path], Path]
) -> None:
    store.install_archive(build(tiny))
    status = await runtime.reload()
    assert (status.pack, status.version, status.error) == ("tiny", "1.0.0", None)
    decision = await runtime.handle(TurnRequest("c1", QUESTION))
    assert decision.action is DecisionAction.REPLY
    assert decision.text == f"{V1_ANSWER} (Holiday hours may differ.)"
    assert decision.sources == ("tiny#faq/hours",)
    await runtime.aclose()


async def test_a_swap_lets_running_turns_finish_on_the_old_version(
    runtime: PackRuntime,
    store: PackStore,
    states: GatedStates,
    tiny: Path,
    build: Callable[[Path], Path],
) -> None:
    store.install_archive(build(tiny))
    await runtime.reload()
    old_manager = runtime.manager
    gate = states.gate("slow")
    slow = asyncio.create_task(runtime.handle(TurnRequest("slow", QUESTION)))
    await states.waiting["slow"].wait()

    set_version(tiny, "1.1.0", answer=V2_ANSWER)
    store.install_archive(build(tiny))
    status = await runtime.reload()
    assert status.version == "1.1.0"
    assert status.retiring == 1  # the old version waits for its running turn
    assert runtime.manager is not old_manager

    fast = await runtime.handle(TurnRequest("fast", QUESTION))
    assert fast.text.startswith(V2_ANSWER)

    gate.set()
    finished = await slow
    assert finished.action is DecisionAction.REPLY
    assert finished.text.startswith(V1_ANSWER)
    for _ in range(100):
        if runtime.status.retiring == 0:
            break
        await asyncio.sleep(0.01)
    assert runtime.status.retiring == 0
    await runtime.aclose()


async def test_many_concurrent_turns_across_a_swap_are_all_answered(
    runtime: PackRuntime, store: PackStore, tiny: Path, build: Callable[[Path], Path]
) -> None:
    store.install_archive(build(tiny))
    await runtime.reload()
    set_version(tiny, "1.1.0", answer=V2_ANSWER)
    store.install_archive(build(tiny))
    first = [asyncio.create_task(runtime.handle(TurnRequest(f"a{i}", QUESTION))) for i in range(20)]
    swap = asyncio.create_task(runtime.reload())
    later = [asyncio.create_task(runtime.handle(TurnRequest(f"b{i}", QUESTION))) for i in range(20)]
    answers = await asyncio.gather(*first, *later)
    await swap
    assert len(answers) == 40
    assert all(d.action is DecisionAction.REPLY for d in answers)
    texts = {d.text.split(" (")[0] for d in answers}
    assert texts <= {V1_ANSWER, V2_ANSWER}
    assert runtime.status.version == "1.1.0"
    await runtime.aclose()


async def test_a_failed_load_keeps_serving_the_running_version(
    runtime: PackRuntime, store: PackStore, tiny: Path, build: Callable[[Path], Path]
) -> None:
    store.install_archive(build(tiny))
    await runtime.reload()
    set_version(tiny, "1.1.0", answer=V2_ANSWER)
    installed = store.install_archive(build(tiny))
    weights = installed.path / "model" / "intent" / "pipeline.joblib"
    weights.write_bytes(weights.read_bytes()[:-10])

    with pytest.raises(PackError, match=r"model/intent/pipeline\.joblib: checksum mismatch"):
        await runtime.reload()
    status = runtime.status
    assert status.version == "1.0.0"
    assert status.error is not None and "checksum mismatch" in status.error
    decision = await runtime.handle(TurnRequest("c1", QUESTION))
    assert decision.text.startswith(V1_ANSWER)

    store.rollback("tiny")
    status = await runtime.reload()
    assert (status.version, status.error) == ("1.0.0", None)
    await runtime.aclose()


async def test_watch_follows_activation_by_another_process(
    runtime: PackRuntime, store: PackStore, tiny: Path, build: Callable[[Path], Path]
) -> None:
    store.install_archive(build(tiny))
    await runtime.reload()
    set_version(tiny, "1.1.0", answer=V2_ANSWER)
    watcher = asyncio.create_task(runtime.watch(interval=0.05))
    try:
        store.install_archive(build(tiny))  # as `kefu pack install` would, elsewhere
        for _ in range(200):
            if runtime.status.version == "1.1.0":
                break
            await asyncio.sleep(0.05)
        assert runtime.status.version == "1.1.0"
        decision = await runtime.handle(TurnRequest("c1", QUESTION))
        assert decision.text.startswith(V2_ANSWER)
    finally:
        watcher.cancel()
        await runtime.aclose()


def test_a_runtime_from_settings_serves_the_configured_pack(tmp_path: Path) -> None:
    from kefu.settings import Settings

    settings = Settings(data_dir=tmp_path / "data", pack="tiny", assistant_top_k=3)
    runtime = PackRuntime.from_settings(settings, GatedStates())
    assert runtime.name == "tiny"
    assert runtime.store.root == tmp_path / "data" / "packs"
    with pytest.raises(ValueError, match="names no knowledge pack"):
        PackRuntime.from_settings(Settings(data_dir=tmp_path), GatedStates())


async def test_the_conversation_hook_answers_stored_messages(
    runtime: PackRuntime, store: PackStore, tiny: Path, build: Callable[[Path], Path]
) -> None:
    from datetime import UTC, datetime

    from kefu.assistant.hook import DialogAssistant
    from kefu.store.records import ConversationStatus, SenderKind, StoredMessage

    store.install_archive(build(tiny))
    await runtime.reload()
    message = StoredMessage(
        conversation_id="c9",
        seq=1,
        client_msg_id="m1",
        sender_kind=SenderKind.VISITOR,
        sender_id="v1",
        text=QUESTION,
        redacted=None,
        verdicts=(),
        filter_action="allow",
        blocked=False,
        created_at=datetime.now(UTC),
        status=ConversationStatus.ASSIGNED,
    )
    decision = await DialogAssistant(runtime)(message)
    assert decision.action is DecisionAction.SUGGEST  # an agent owns the conversation
    assert decision.suggestions[0].text.startswith(V1_ANSWER)
    await runtime.aclose()
