"""A visitor gets a pack's answer, with its source, through the real WebSocket gateway; a new
version of the pack installed while the visitor is connected is served without a dropped socket.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from fixtures_servers import ServerFactory
from kefu.knowledge.install import install
from kefu.knowledge.store import PackStore
from support.client import FrameClient, new_id, visitor

TINY = Path(__file__).resolve().parents[2] / "fixtures" / "knowledge" / "tiny"
CARD_ANSWER = "Cards arrive within 5 working days of your order."


async def ask(client: FrameClient, text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Send a visitor message; return the bot's message frame and its bot_reply event."""
    await client.send({"type": "message", "client_msg_id": new_id(), "text": text})
    ack = await client.expect("ack")
    reply = await client.expect(
        "message", lambda f: f.get("sender") == "bot" and f["seq"] > ack["seq"], wait=30
    )
    provenance = await client.expect(
        "event", lambda f: f["name"] == "bot_reply" and f["data"]["seq"] == reply["seq"]
    )
    return reply, provenance["data"]


async def test_visitor_gets_the_pack_answer_and_a_new_version_hot(
    kefu_server: ServerFactory, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    store = PackStore(data_dir)
    install(str(TINY), store)
    server = kefu_server(data_dir=data_dir, pack="tiny")

    client, _welcome = await visitor(server.ws_url)
    reply, provenance = await ask(client, "my card still has not come")
    assert reply["text"] == CARD_ANSWER
    assert any("card-arrival" in source for source in provenance["sources"])
    assert 0 < provenance["confidence"] <= 1

    # Version 1.0.1 changes the answer; install it from another process while connected.
    v2 = tmp_path / "tiny-v2"
    shutil.copytree(TINY, v2)
    pack_toml = v2 / "pack.toml"
    pack_toml.write_text(pack_toml.read_text().replace('version = "1.0.0"', 'version = "1.0.1"'))
    faq = v2 / "faq.jsonl"
    faq.write_text(faq.read_text().replace(CARD_ANSWER, "Cards now arrive within 2 days."))
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "kefu.cli", "pack", "install", str(v2), "--no-progress"],
        env={**server.env, "KEFU_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr

    # The server follows the install within its watch interval; the socket stays open and
    # every turn in between is answered by one version or the other, never failed.
    answers: list[str] = []
    for _ in range(40):
        await asyncio.sleep(0.5)
        reply, _ = await ask(client, "my card still has not come")
        answers.append(reply["text"])
        if reply["text"] == "Cards now arrive within 2 days.":
            break
    assert answers[-1] == "Cards now arrive within 2 days.", answers
    assert set(answers) <= {CARD_ANSWER, "Cards now arrive within 2 days."}
    await client.close()
