"""A whole conversation with customer context and actions: no personal data leaves unmasked.

Every frame the agent receives, every HTTP answer and every log line is searched for the
visitor's and the customer's phone, national ID and card numbers; the only clear value allowed
is the one field an unmask grant covers, in the answer that grant was for.
"""

from __future__ import annotations

import json
import uuid

import httpx
from secure_stack import SECRET_KEY, SecureKefu, login

from support.client import FrameClient, new_id, visitor

VISITOR_TEXT = (
    "my phone is 13812345678, ID 11010519491231002X, card 6222 0212 3456 7890 128, "
    "mail li.lei@example.com"
)
#: Values that must never appear in clear (digits only, so formatting cannot hide them).
CLEAR = ["13812345678", "11010519491231002X", "6222021234567890128", "14155550101"]


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


def _leaks(text: str) -> list[str]:
    flat = _digits(text)
    return [value for value in CLEAR if value in flat]


async def test_a_conversation_leaks_no_personal_data_without_a_grant(
    shop_and_kefu: SecureKefu,
) -> None:
    session = await login(shop_and_kefu, "alice")
    alice = await FrameClient.open(f"{shop_and_kefu.ws_url}/ws/agent")
    await alice.send({"type": "hello", "token": session["token"]})
    answers: list[str] = []
    await alice.expect("welcome")
    james, welcome = await visitor(shop_and_kefu.ws_url, display_name="Mei 13812345678")
    cid = welcome["conversation_id"]
    await james.send({"type": "message", "client_msg_id": new_id(), "text": VISITOR_TEXT})
    seen = await alice.expect("message", lambda f: f["sender"] == "visitor", wait=10)
    assert "138****5678" in seen["text"] and "**** 0128" in seen["text"], seen
    auth = {"Authorization": f"Bearer {session['token']}"}
    async with httpx.AsyncClient(base_url=shop_and_kefu.url, timeout=10, headers=auth) as http:
        linked = await http.post(
            f"/integration/conversations/{cid}/customer", json={"customer_id": "C1001"}
        )
        assert linked.status_code == 200, linked.text
        answers.append(linked.text)
        history = await http.get(f"/api/conversations/{cid}/messages")
        answers.append(history.text)
        assert "138****5678" in history.text
        context = await http.get("/integration/customers/C1001/context")
        assert context.status_code == 200, context.text
        answers.append(context.text)
        profile = context.json()["sections"]["profile"]
        assert profile["name"] == "Mei Chen" and profile["phone"] == "+14*******01"
        action = {
            "kind": "flag_order",
            "customer_id": "C1001",
            "params": {"order_id": "SO-100231", "reason": "caller gave 13812345678"},
            "idempotency_key": uuid.uuid4().hex,
            "conversation_id": cid,
        }
        acted = await http.post("/integration/actions", json=action)
        answers.append(acted.text)
        await alice.send(
            {
                "type": "message",
                "conversation_id": cid,
                "client_msg_id": new_id(),
                "text": "thanks, I noted 13812345678",
            }
        )
        frames = await alice.quiet(1.5)

        # A reason of spaces is no reason: refused, nothing recorded.
        blank = await http.post(
            "/api/unmask",
            json={"customer_id": "C1001", "field": "profile.phone", "reason": "       "},
        )
        assert blank.status_code == 400 and "reason" in blank.text, blank.text
        assert shop_and_kefu.query("SELECT count(*) FROM security_unmask_grants") == [(0,)]

        # A grant shows one field, to this agent, in the answer it was asked for, audited.
        grant = await http.post(
            "/api/unmask",
            json={"customer_id": "C1001", "field": "profile.phone", "reason": "call back"},
        )
        assert grant.status_code == 201 and grant.json()["status"] == "approved", grant.text
        granted = await http.get("/integration/customers/C1001/context")
        granted_profile = granted.json()["sections"]["profile"]
        assert granted_profile["phone"] == "+1 415 555 0101"
        assert granted_profile["email"] != "mei.chen@example.com"
    received = [seen, *alice.backlog, *frames]
    assert any(f.get("type") == "event" and f.get("name") == "action_result" for f in received)
    everything = [json.dumps(f, ensure_ascii=False) for f in received] + answers
    assert all(not _leaks(text) for text in everything), [t for t in everything if _leaks(t)]
    actions = {
        row[0]
        for row in shop_and_kefu.query(
            "SELECT action FROM audit_entries WHERE subject = 'customer:C1001'"
        )
    }
    assert {"unmask.request", "unmask.view"} <= actions
    await james.close()
    await alice.close()
    log = shop_and_kefu.log_path.read_text()
    assert [v for v in CLEAR if v in _digits(log)] == []
    for secret in (SECRET_KEY, str(session["token"]), str(session["refresh_token"])):
        assert secret not in log
