"""The encoder's thread count and batch size: defaults, process-wide effect, refused values."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from kefu.embedding import SentenceTransformerEmbedder, default_threads, set_encoder_threads


@pytest.fixture
def torch_threads() -> Iterator[int]:
    """Torch's thread count before the test, restored after it."""
    before = torch.get_num_threads()
    yield before
    torch.set_num_threads(before)


@pytest.mark.parametrize(("cpus", "expected"), [(1, 1), (2, 1), (4, 3), (16, 15)])
def test_the_encoder_leaves_one_cpu_to_the_event_loop(cpus: int, expected: int) -> None:
    assert default_threads(cpus) == expected


def test_unknown_cpu_count_means_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: None)
    assert default_threads() == 1


def test_encoder_threads_apply_to_the_whole_process(torch_threads: int) -> None:
    target = 1 if torch_threads != 1 else 2
    set_encoder_threads(target)
    assert torch.get_num_threads() == target


@pytest.mark.parametrize("threads", [0, -2])
def test_bad_thread_counts_are_refused_and_change_nothing(torch_threads: int, threads: int) -> None:
    with pytest.raises(ValueError, match="threads must be at least 1"):
        set_encoder_threads(threads)
    assert torch.get_num_threads() == torch_threads


def test_bad_batch_size_is_refused_before_anything_is_loaded(
    torch_threads: int, tmp_path: Path
) -> None:
    # The path does not exist: the batch size must be refused first, threads left alone.
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        SentenceTransformerEmbedder(tmp_path / "missing", batch_size=0, threads=torch_threads + 1)
    assert torch.get_num_threads() == torch_threads


def test_a_server_without_an_embedding_bot_never_imports_torch(tmp_path: Path) -> None:
    # The reservation waits for the first encoder; creating the app must not load torch.
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from kefu.app import create_app\n"
        "from kefu.settings import Settings\n"
        f"create_app(Settings(data_dir=Path({str(tmp_path)!r}), secret_key='s' * 40))\n"
        "print('torch' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
