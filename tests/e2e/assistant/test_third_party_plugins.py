"""A third-party distribution adds an intent recognizer and a reply policy through entry points
alone, and a conversation through the real gateway uses them; when its policy raises, the turn
goes to a human and the server keeps serving.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures_servers import ServerFactory
from support.client import new_id, visitor

SAMPLE = Path(__file__).resolve().parents[2] / "thirdparty" / "kefu_sample_plugins"

FIT = """
import sys
from pathlib import Path
from kefu import registry
from kefu.contracts import IntentExample
recognizer = registry.load("kefu.intent", "sample_keywords")
recognizer.fit([
    IntentExample("I want a refund", "refund"),
    IntentExample("refund my order please", "refund"),
    IntentExample("where is my parcel", "shipping"),
    IntentExample("my parcel has not arrived", "shipping"),
])
recognizer.save(Path(sys.argv[1]))
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample distribution pip-installed into a fresh directory (not into Kefu's venv)."""
    work = tmp_path_factory.mktemp("thirdparty")
    source = work / "source"
    shutil.copytree(SAMPLE, source)
    target = work / "site"
    subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
            "--no-build-isolation", "--target", str(target), str(source),
        ],
        check=True,
    )  # fmt: skip
    return target


async def test_a_conversation_uses_third_party_plugins(
    site: Path, tmp_path: Path, kefu_server: ServerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The distribution is visible to Kefu's processes only through PYTHONPATH; a fresh cache
    # directory keeps stevedore from answering with an entry-point scan made before it existed.
    monkeypatch.setenv("PYTHONPATH", str(site))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    model_dir = tmp_path / "model"
    fitted = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", FIT, str(model_dir)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert fitted.returncode == 0, fitted.stderr
    server = kefu_server(
        intent="sample_keywords", intent_model_dir=str(model_dir), policy="sample_polite"
    )

    client, _ = await visitor(server.ws_url)
    await client.send({"type": "message", "client_msg_id": new_id(), "text": "refund please"})
    reply = await client.expect("message", lambda f: f["sender"] == "bot", wait=30)
    assert reply["text"] == "Certainly! (intent: refund)"

    # The policy raises: the visitor is handed to a human (queued, no agent is online).
    await client.send({"type": "message", "client_msg_id": new_id(), "text": "explode refund"})
    queued = await client.expect("event", lambda f: f["name"] == "queued", wait=30)
    assert queued["data"]["position"] == 1
    await client.close()

    # The server is still serving.
    again, welcome = await visitor(server.ws_url)
    assert welcome["status"] == "bot"
    await again.close()
    log = server.log_path.read_text()
    assert "policy plugin 'sample_polite' failed: RuntimeError" in log
