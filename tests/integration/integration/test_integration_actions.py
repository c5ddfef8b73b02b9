"""The action proxy against a real demo shop server: idempotency, permissions, audit, breaker."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from shop_support import SHOP_KEY, ashop_rows

from demo_shop.launcher import DemoShopProcess
from kefu.contracts import CustomerContext
from kefu.integration import tables
from kefu.integration.actions import ACTION_STREAM, ActionProxy
from kefu.integration.context import ContextAssembler
from kefu.integration.errors import ActionError
from kefu.integration.permissions import AGENT_SCOPES, Principal, Role
from kefu.integration.resilience import GuardedCaller
from kefu.store import schema
from kefu.store.database import Database
from kefu_plugins.adapters.rest import RestAdapter
from support.server import free_port

AGENT = Principal("agent-7", Role.AGENT, AGENT_SCOPES)
MAPPING = "pkg:demo_shop/kefu-adapter.toml"


def proxy_for(db: Database, shop: DemoShopProcess, **guards: float) -> ActionProxy:
    adapter = RestAdapter(mapping=MAPPING, base_url=shop.url, api_key=SHOP_KEY, timeout=2.0)
    caller = GuardedCaller("demo-shop", **guards)  # type: ignore[arg-type]
    return ActionProxy(db, adapter, caller=caller)


async def refunds_of(shop: DemoShopProcess, order_id: str, amount: int) -> int:
    rows = await ashop_rows(
        shop,
        "SELECT count(*) FROM refunds WHERE order_id = ? AND amount_cents = ?",
        order_id,
        amount,
    )
    return int(rows[0][0])  # type: ignore[call-overload]


async def count(db: Database, table: sa.Table) -> int:
    async with db.read() as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar_one())


async def test_a_refund_retried_five_times_refunds_once(
    kefu_db: Database, demo_shop: DemoShopProcess
) -> None:
    key = f"refund-{uuid.uuid4().hex}"
    params = {"order_id": "SO-100238", "amount_cents": 701, "reason": "late parcel"}
    # The first attempt's answer is lost: the deadline is shorter than the shop's reply time,
    # so Kefu cannot know whether the shop refunded.
    lossy = proxy_for(kefu_db, demo_shop, timeout=0.0005)
    with pytest.raises(ActionError) as lost:
        await lossy.submit(
            AGENT, kind="refund", customer_id="C1002", params=params, idempotency_key=key
        )
    assert lost.value.status == 504 and lost.value.code == "outcome_unknown"
    await asyncio.sleep(0.3)  # let the shop finish whatever it received
    proxy = proxy_for(kefu_db, demo_shop)
    outcomes = [
        await proxy.submit(
            AGENT, kind="refund", customer_id="C1002", params=params, idempotency_key=key
        )
        for _ in range(5)
    ]
    assert all(o.ok for o in outcomes)
    assert [o.replayed for o in outcomes] == [False, True, True, True, True]
    assert len({o.data["refund_id"] for o in outcomes}) == 1
    assert await refunds_of(demo_shop, "SO-100238", 701) == 1
    async with kefu_db.read() as conn:
        audit = (
            (
                await conn.execute(
                    sa.select(schema.audit_entries.c.action).order_by(schema.audit_entries.c.id)
                )
            )
            .scalars()
            .all()
        )
        completed = (
            await conn.execute(
                sa.select(sa.func.count())
                .select_from(tables.outbox)
                .where(tables.outbox.c.stream == ACTION_STREAM)
            )
        ).scalar_one()
    assert audit == ["action.requested", "action.succeeded"]
    assert completed == 1


async def test_concurrent_submissions_of_one_key_refund_once(
    kefu_db: Database, demo_shop: DemoShopProcess
) -> None:
    key = f"refund-{uuid.uuid4().hex}"
    params = {"order_id": "SO-100238", "amount_cents": 702}
    proxies = [proxy_for(kefu_db, demo_shop) for _ in range(2)]  # two "processes"
    outcomes = await asyncio.gather(
        *(
            p.submit(AGENT, kind="refund", customer_id="C1002", params=params, idempotency_key=key)
            for p in proxies * 3
        )
    )
    assert all(o.ok for o in outcomes)
    assert await refunds_of(demo_shop, "SO-100238", 702) == 1


async def test_a_business_refusal_is_a_failed_outcome_not_an_error(
    kefu_db: Database, demo_shop: DemoShopProcess
) -> None:
    proxy = proxy_for(kefu_db, demo_shop)
    outcome = await proxy.submit(
        AGENT,
        kind="refund",
        customer_id="C1001",
        params={"order_id": "SO-100245", "amount_cents": 100},  # pending: nothing paid
        idempotency_key=f"refund-{uuid.uuid4().hex}",
    )
    assert not outcome.ok and outcome.status == "failed"
    assert "no payment" in outcome.detail


REFUSED = [
    (
        "over limit",
        AGENT,
        "refund",
        {"order_id": "SO-100238", "amount_cents": 20_000},
        403,
        "over_limit",
    ),
    (
        "no scope",
        Principal("a", Role.AGENT, frozenset()),
        "refund",
        {"order_id": "SO-1", "amount_cents": 1},
        403,
        "missing_scope",
    ),
    ("unknown kind", AGENT, "wire_money", {}, 404, "unknown_action"),
    (
        "bad params",
        AGENT,
        "refund",
        {"order_id": "SO-1", "amount_cents": -3},
        422,
        "invalid_params",
    ),
    (
        "extra params",
        AGENT,
        "flag_order",
        {"order_id": "SO-1", "reason": "x", "drop": 1},
        422,
        "invalid_params",
    ),
]


@pytest.mark.parametrize(
    ("label", "who", "kind", "params", "status", "code"), REFUSED, ids=[r[0] for r in REFUSED]
)
async def test_refused_requests_store_nothing_and_call_nothing(
    kefu_db: Database,
    demo_shop: DemoShopProcess,
    label: str,
    who: Principal,
    kind: str,
    params: dict[str, object],
    status: int,
    code: str,
) -> None:
    before = await ashop_rows(demo_shop, "SELECT count(*) FROM refunds")
    with pytest.raises(ActionError) as refused:
        await proxy_for(kefu_db, demo_shop).submit(
            who,
            kind=kind,
            customer_id="C1002",
            params=params,
            idempotency_key=f"k-{uuid.uuid4().hex}",
        )
    assert (refused.value.status, refused.value.code) == (status, code)
    assert await count(kefu_db, tables.actions) == 0
    assert await count(kefu_db, schema.audit_entries) == 0
    assert await ashop_rows(demo_shop, "SELECT count(*) FROM refunds") == before


async def test_a_key_reused_for_another_action_is_refused(
    kefu_db: Database, demo_shop: DemoShopProcess
) -> None:
    proxy = proxy_for(kefu_db, demo_shop)
    key = f"coupon-{uuid.uuid4().hex}"
    await proxy.submit(
        AGENT,
        kind="issue_coupon",
        customer_id="C1003",
        params={"value_cents": 500},
        idempotency_key=key,
    )
    with pytest.raises(ActionError) as reused:
        await proxy.submit(
            AGENT,
            kind="issue_coupon",
            customer_id="C1003",
            params={"value_cents": 900},
            idempotency_key=key,
        )
    assert reused.value.code == "idempotency_key_reused"


@pytest.fixture
def own_shop(tmp_path: Path) -> Iterator[DemoShopProcess]:
    shop = DemoShopProcess(
        port=free_port(),
        db_path=tmp_path / "shop.db",
        api_key=SHOP_KEY,
        log_path=tmp_path / "shop.log",
    )
    shop.start()
    yield shop
    shop.stop()


async def test_with_the_shop_down_the_breaker_fails_fast_and_recovers(
    kefu_db: Database, own_shop: DemoShopProcess
) -> None:
    proxy = proxy_for(kefu_db, own_shop, threshold=3, recovery=1.5, timeout=2.0)

    async def flag(key: str) -> float:
        started = time.perf_counter()
        await proxy.submit(
            AGENT,
            kind="flag_order",
            customer_id="C1001",
            params={"order_id": "SO-100231", "reason": key},
            idempotency_key=key,
        )
        return time.perf_counter() - started

    await flag(f"flag-{uuid.uuid4().hex}")  # healthy
    await own_shop.astop()
    keys = [f"flag-{uuid.uuid4().hex}" for _ in range(6)]
    codes = []
    for key in keys:
        started = time.perf_counter()
        with pytest.raises(ActionError) as failed:
            await flag(key)
        codes.append((failed.value.code, time.perf_counter() - started))
    assert [c for c, _ in codes[:3]] == ["outcome_unknown"] * 3
    assert [c for c, _ in codes[3:]] == ["business_system_unavailable"] * 3
    assert max(t for _, t in codes[3:]) < 0.05, codes  # fail fast: no connection attempt
    assert await proxy.caller.state() == "opened"

    await own_shop.astart()
    await asyncio.sleep(1.6)  # the breaker lets a trial call through after `recovery`
    elapsed = await flag(keys[0])  # the same key finishes the pending request
    assert elapsed < 2.0
    assert await proxy.caller.state() == "closed"
    flagged = await ashop_rows(
        own_shop, "SELECT count(*) FROM order_flags WHERE reason = ?", keys[0]
    )
    assert flagged == [(1,)]


async def test_a_successful_action_drops_the_cached_context_it_changed(
    kefu_db: Database, demo_shop: DemoShopProcess
) -> None:
    adapter = RestAdapter(mapping=MAPPING, base_url=demo_shop.url, api_key=SHOP_KEY, timeout=2.0)
    assembler = ContextAssembler([adapter], deadline=5.0, ttl=600.0)
    proxy = ActionProxy(
        kefu_db, assembler, caller=GuardedCaller("demo-shop"), invalidate=assembler.invalidate
    )

    def flagged(context: CustomerContext) -> bool:
        orders = context.sections["orders"]
        return next(bool(o["flagged"]) for o in orders if o["id"] == "SO-100238")

    before = await assembler.customer_context("C1002")
    assert not flagged(before)
    assert (await assembler.customer_context("C1002")) is before  # served from the cache
    outcome = await proxy.submit(
        AGENT,
        kind="flag_order",
        customer_id="C1002",
        params={"order_id": "SO-100238", "reason": "address looks wrong"},
        idempotency_key=f"flag-{uuid.uuid4().hex}",
    )
    assert outcome.ok, outcome.detail
    # No webhook has arrived (none is wired here): the next look asks the shop again.
    assert flagged(await assembler.customer_context("C1002"))
