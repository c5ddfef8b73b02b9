"""A vendor distribution registers a pack in ``kefu.pack``; Kefu installs and serves it.

The sample distribution (tests/thirdparty/kefu_pack_sample) is pip-installed into a temporary
``--target`` directory, which a child process puts on PYTHONPATH to run ``kefu pack install
bikeshop`` and ``kefu pack list``. The child gets its own stevedore entry-point cache
(XDG_CACHE_HOME), so no cached scan of another path hides the new entry point.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kefu.assistant.manager import TurnRequest
from kefu.assistant.state import DialogState
from kefu.contracts import DecisionAction, PluginContext
from kefu.knowledge.runtime import PackRuntime
from kefu.knowledge.store import PackStore

pytestmark = pytest.mark.slow

SAMPLE = Path(__file__).parents[2] / "thirdparty" / "kefu_pack_sample"
KEFU = Path(sys.executable).parent / "kefu"


class MemoryStates:
    """Dialog state in a dict."""

    def __init__(self) -> None:
        self.states: dict[str, DialogState] = {}

    async def get(self, conversation_id: str) -> DialogState:
        return self.states.get(conversation_id, DialogState())

    async def put(self, conversation_id: str, state: DialogState) -> None:
        self.states[conversation_id] = state


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample distribution pip-installed into a fresh --target directory."""
    work = tmp_path_factory.mktemp("vendor")
    source = work / "source"
    shutil.copytree(SAMPLE, source)  # building in place would leave build/ in the repository
    target = work / "site"
    subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
            "--no-build-isolation", "--target", str(target), str(source),
        ],
        check=True,
    )  # fmt: skip
    return target


def run_kefu(
    args: list[str], target: Path, data: Path, cache: Path
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(target), os.environ.get("PYTHONPATH", "")]),
        "XDG_CACHE_HOME": str(cache),
        "KEFU_DATA_DIR": str(data),
    }
    return subprocess.run(
        [str(KEFU), *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


async def test_a_registered_pack_is_installed_listed_and_served(
    target: Path, tmp_path: Path
) -> None:
    assert (target / "kefu_pack_sample" / "pack" / "pack.toml").is_file()
    data, cache = tmp_path / "data", tmp_path / "cache"

    installed = run_kefu(["pack", "install", "bikeshop", "--no-progress"], target, data, cache)
    assert installed.returncode == 0, installed.stderr
    assert installed.stdout.startswith("bikeshop 2.1.0 active")

    listed = run_kefu(["pack", "list", "--json"], target, data, cache)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [(r["name"], r["version"], r["vertical"], r["active"]) for r in rows] == [
        ("bikeshop", "2.1.0", "ecommerce", True)
    ]
    assert rows[0]["eval"]["retrieval_cases"] == 3

    # Without the distribution on the path, the name means nothing.
    unknown = run_kefu(["pack", "install", "bikeshop"], tmp_path / "empty", data, cache)
    assert unknown.returncode == 1
    assert "no pack 'bikeshop' registered in kefu.pack" in unknown.stderr

    runtime = PackRuntime(
        PackStore(data), "bikeshop", MemoryStates(), context=PluginContext(tmp_path)
    )
    await runtime.reload()
    decision = await runtime.handle(TurnRequest("c1", "could i hire an electric bike tomorrow"))
    assert decision.action is DecisionAction.REPLY, decision.reasons
    assert decision.text.startswith("Yes: city bikes are 15 EUR per day")
    assert decision.sources[0].startswith("bikeshop#faq/rentals")
    await runtime.aclose()
