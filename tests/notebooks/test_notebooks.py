"""The tuning notebooks run on small data (KEFU_NOTEBOOK_SMALL=1) and are committed stripped."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
#: Each notebook runs in well under a minute on a 2-core machine; this bound leaves room for
#: a loaded machine while still catching a notebook that silently grew to full data.
MAX_SECONDS = 150


def test_the_four_notebooks_exist() -> None:
    assert [p.name for p in PATHS] == [
        "01_tune_intent_recognizer.ipynb",
        "02_tune_retrieval.ipynb",
        "03_choose_reply_threshold.ipynb",
        "04_custom_recognizer.ipynb",
    ]


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    dirty = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, (
        f"{path.name}: cells {dirty} have outputs; strip them before committing "
        "(e.g. jupyter nbconvert --clear-output --inplace)"
    )


@pytest.mark.slow
@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_runs_on_small_data(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_NOTEBOOK_SMALL", "1")
    monkeypatch.setenv("TQDM_DISABLE", "1")
    notebook = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    client = NotebookClient(
        notebook,
        timeout=MAX_SECONDS,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    started = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - started
    assert elapsed < MAX_SECONDS, f"{path.name} took {elapsed:.0f} s"
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors
