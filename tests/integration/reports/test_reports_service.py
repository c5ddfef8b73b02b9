"""Reports over a real store (SQLite file and PostgreSQL), from conversations the service ran.

Conversations go through the real ConversationService with the built-in ``handoff`` policy
(every visitor message is handed to a human). Their timestamps are then moved to fixed
instants, so that every figure has one exact expected value.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from fixtures_servers import migrated_database
from kefu import registry
from kefu.conversations import ConversationService, FilterChain, RecordingNotifier
from kefu.conversations.assistant import PolicyAssistant
from kefu.reports import Report, ReportPeriod, ReportService
from kefu.store import (
    Agent,
    Agents,
    ConversationStatus,
    Database,
    MessageWriter,
    NewMessage,
    SenderKind,
    schema,
)
from kefu.store.records import BOT_SENDER_ID

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@dataclass
class Env:
    """A store with the conversation service running on it."""

    db: Database
    service: ConversationService
    writer: MessageWriter

    async def agent(self, username: str, capacity: int) -> Agent:
        async with self.db.write() as conn:
            agent = await Agents(conn).create(username, username.title(), "x", capacity)
        await self.service.agent_connected(agent.id)
        return agent

    async def visitor_asks(self, text: str) -> tuple[str, str]:
        """A new conversation whose visitor wrote ``text`` (so it is handed off)."""
        visitor, conversation = await self.service.start()
        await self.service.post(conversation.id, SenderKind.VISITOR, visitor.id, "v1", text)
        await self.service.drain()
        return visitor.id, conversation.id

    async def retime(
        self, conversation_id: str, base: datetime, messages: dict[int, float], **moments: float
    ) -> None:
        """Move a conversation's timestamps to ``base`` + seconds (only those given)."""
        at = {name: base + timedelta(seconds=s) for name, s in moments.items()}
        c, m = schema.conversations, schema.messages
        async with self.db.write() as conn:
            await conn.execute(sa.update(c).where(c.c.id == conversation_id).values(**at))
            for seq, seconds in messages.items():
                await conn.execute(
                    sa.update(m)
                    .where(m.c.conversation_id == conversation_id, m.c.seq == seq)
                    .values(created_at=base + timedelta(seconds=seconds))
                )

    async def report(self, days: int = 14, tz: str = "UTC") -> Report:
        return await ReportService(self.db).report(ReportPeriod.ending_today(days, tz, now=NOW))


@pytest.fixture(params=["sqlite", "postgres"])
async def env(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Env]:
    async with migrated_database(request.param, tmp_path) as db:
        writer = MessageWriter(db)
        writer.start()
        policy = registry.load("kefu.policy", "handoff")
        service = ConversationService(
            db, writer, FilterChain([]), PolicyAssistant(policy), RecordingNotifier()
        )
        try:
            yield Env(db, service, writer)
        finally:
            await service.drain()
            await writer.close()


async def bot_resolved(env: Env, base: datetime, lasting: float = 90) -> str:
    """A conversation the bot answered and the visitor closed, never handed off."""
    visitor, conversation = await env.service.start()
    for seq, (kind, sender) in enumerate(
        [(SenderKind.VISITOR, visitor.id), (SenderKind.BOT, BOT_SENDER_ID)], start=1
    ):
        await env.writer.append(
            NewMessage(conversation.id, f"m{seq}", kind, sender, "text", verdicts=())
        )
    await env.service.close(conversation.id, SenderKind.VISITOR, visitor.id)
    await env.retime(conversation.id, base, {1: 5, 2: 6}, created_at=0, closed_at=lasting)
    return conversation.id


async def build_traffic(env: Env) -> dict[str, str]:
    """A bot-resolved, an answered-and-closed hand-off, one still queued, one too old."""
    alice = await env.agent("alice", capacity=1)
    ids = {"bot": await bot_resolved(env, datetime(2026, 3, 9, 10, 0, tzinfo=UTC))}

    # Handed off, answered by Alice 45 s after joining the queue, closed after 10 minutes.
    visitor, cid = await env.visitor_asks("I want a human")
    assert (await env.service.get(cid)).agent_id == alice.id
    await env.service.post(cid, SenderKind.AGENT, alice.id, "a1", "Hello, Alice here")
    await env.service.post(cid, SenderKind.VISITOR, visitor, "v2", "My parcel is late")
    await env.service.post(cid, SenderKind.AGENT, alice.id, "a2", "Let me check")
    await env.service.drain()
    await env.service.agent_disconnected(alice.id)  # so nobody takes the next one
    await env.service.close(cid, SenderKind.AGENT, alice.id)
    await env.retime(
        cid,
        datetime(2026, 3, 9, 17, 30, tzinfo=UTC),
        {1: 10, 2: 57, 3: 70, 4: 80},
        created_at=0,
        queued_at=12,
        assigned_at=20,
        closed_at=600,
    )
    ids["answered"] = cid

    _, cid = await env.visitor_asks("anyone there?")
    assert (await env.service.get(cid)).status is ConversationStatus.QUEUED
    await env.retime(
        cid, datetime(2026, 3, 10, 2, 0, tzinfo=UTC), {1: 1}, created_at=0, queued_at=5
    )
    ids["queued"] = cid

    old = await bot_resolved(env, datetime(2026, 2, 20, 9, 0, tzinfo=UTC))
    ids["old"] = old
    return ids


def per_day(report: Report) -> dict[date, int]:
    return {d.day: d.conversations for d in report.per_day if d.conversations}


async def test_figures_over_fourteen_utc_days(env: Env) -> None:
    await build_traffic(env)
    report = await env.report()

    assert report.period.first_day == date(2026, 2, 25)
    assert report.period.last_day == date(2026, 3, 10)
    assert len(report.per_day) == 14
    assert report.conversations == 3
    assert per_day(report) == {date(2026, 3, 9): 2, date(2026, 3, 10): 1}
    assert (report.bot_resolution.count, report.bot_resolution.of) == (1, 2)
    assert report.bot_resolution.value == 0.5
    assert (report.handoff.count, report.handoff.of) == (2, 3)
    assert report.handoff.value == pytest.approx(2 / 3)

    first = report.first_response
    assert (first.count, first.p50, first.p90) == (1, 45.0, 45.0)
    assert [b.count for b in first.buckets] == [0, 1, 0, 0, 0, 0, 0, 0]

    resolution = report.resolution
    assert (resolution.count, resolution.p50, resolution.p90) == (2, 90.0, 600.0)
    # 600 s is on the edge of "≤10m": buckets are closed on the right.
    assert [b.count for b in resolution.buckets] == [0, 0, 1, 0, 1, 0, 0, 0]
    assert [b.label for b in resolution.buckets][-1] == ">1h"
    assert [b.le for b in resolution.buckets] == [30, 60, 120, 300, 600, 1800, 3600, None]


async def test_days_begin_at_local_midnight_of_the_zone_asked_for(env: Env) -> None:
    await build_traffic(env)
    # 17:30 UTC on 9 March is 01:30 on 10 March in Shanghai.
    for tz in ("Asia/Shanghai", "+08:00"):
        report = await env.report(tz=tz)
        assert per_day(report) == {date(2026, 3, 9): 1, date(2026, 3, 10): 2}, tz
        assert report.period.start == datetime(2026, 2, 24, 16, 0, tzinfo=UTC)


async def test_a_short_period_leaves_older_conversations_out(env: Env) -> None:
    await build_traffic(env)
    report = await env.report(days=1)
    assert report.conversations == 1
    assert per_day(report) == {date(2026, 3, 10): 1}
    assert report.bot_resolution.value is None and report.bot_resolution.of == 0
    assert (report.handoff.count, report.handoff.of) == (1, 1)
    assert (report.first_response.count, report.first_response.p50) == (0, None)
    assert (report.resolution.count, report.resolution.p90) == (0, None)
    assert sum(b.count for b in report.resolution.buckets) == 0

    everything = await env.report(days=366)
    assert everything.conversations == 4
    assert (everything.resolution.count, everything.resolution.p50) == (3, 90.0)


async def test_percentiles_are_nearest_rank_over_many_conversations(env: Env) -> None:
    base = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
    for n, seconds in enumerate([70, 10, 100, 40, 20, 90, 30, 60, 80, 50, 4000]):
        await bot_resolved(env, base + timedelta(minutes=n), lasting=seconds)
    resolution = (await env.report(days=1)).resolution
    # 11 durations: the median is the 6th smallest, the 90th percentile the 10th.
    assert (resolution.count, resolution.p50, resolution.p90) == (11, 60.0, 100.0)
    assert [b.count for b in resolution.buckets] == [3, 3, 4, 0, 0, 0, 0, 1]


async def test_days_follow_clock_changes(env: Env) -> None:
    # New York: 04:30 UTC on 8 March is 23:30 on the 7th (winter time); 04:30 UTC on
    # 9 March is 00:30 on the 9th (summer time began in between).
    for base in (datetime(2026, 3, 8, 4, 30, tzinfo=UTC), datetime(2026, 3, 9, 4, 30, tzinfo=UTC)):
        await bot_resolved(env, base)
    report = await env.report(days=4, tz="America/New_York")
    assert [(d.day, d.conversations) for d in report.per_day] == [
        (date(2026, 3, 7), 1),
        (date(2026, 3, 8), 0),
        (date(2026, 3, 9), 1),
        (date(2026, 3, 10), 0),
    ]


async def test_blocked_agent_messages_do_not_count_as_a_response(env: Env) -> None:
    alice = await env.agent("alice", capacity=2)
    _, cid = await env.visitor_asks("help")
    async with env.db.write() as conn:
        # A blocked agent message (the visitor never saw it), then a real reply.
        for seq, (client_id, blocked) in enumerate([("a1", True), ("a2", False)], start=2):
            await conn.execute(
                sa.insert(schema.messages).values(
                    conversation_id=cid,
                    seq=seq,
                    client_msg_id=client_id,
                    sender_kind=SenderKind.AGENT.value,
                    sender_id=alice.id,
                    text="reply",
                    verdicts=[],
                    filter_action="block" if blocked else "allow",
                    blocked=blocked,
                    created_at=NOW,
                )
            )
    await env.retime(
        cid,
        datetime(2026, 3, 10, 8, 0, tzinfo=UTC),
        {1: 1, 2: 30, 3: 4000},
        created_at=0,
        queued_at=2,
        assigned_at=3,
    )
    first = (await env.report(days=1)).first_response
    assert (first.count, first.p50) == (1, 3998.0)
    assert [b.count for b in first.buckets] == [0, 0, 0, 0, 0, 0, 0, 1]


async def test_nothing_stored_gives_empty_figures(env: Env) -> None:
    report = await env.report()
    assert report.conversations == 0
    assert [d.conversations for d in report.per_day] == [0] * 14
    assert report.handoff.value is None and report.bot_resolution.value is None
    assert report.first_response.count == 0 and report.first_response.p50 is None
