"""The benchmark runner's selection and plots (``python -m benchmarks``), without the load."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repository root

from benchmarks import plots
from benchmarks.__main__ import NAMES, main, select
from benchmarks.connections import _split

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_select_keeps_the_order_and_honours_only_and_skip() -> None:
    assert [b.name for b in select([], [])] == list(NAMES)
    assert [b.name for b in select(["scaleout", "connections"], [])] == [
        "connections",
        "scaleout",
    ]
    assert "gateway_cpu" not in [b.name for b in select([], ["gateway_cpu"])]
    with pytest.raises(ValueError, match="nope"):
        select(["nope"], [])


def test_unknown_benchmark_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--only", "gateway_cpu,nope"])
    assert exit_info.value.code == 2
    assert "unknown benchmarks ['nope']" in capsys.readouterr().err


def test_series_over_load_become_one_png_per_figure(tmp_path: Path) -> None:
    payload = {
        "environment": {"load_average_1m": 3.5, "cpu_count": 2},
        "results": [
            {"name": "echo", "concurrency": 1, "messages_per_second": 900.0, "latency_ms_p50": 1},
            {"name": "echo", "concurrency": 4, "messages_per_second": 2000.0, "latency_ms_p50": 2},
            {"name": "kefu", "concurrency": 1, "messages_per_second": 300.0, "latency_ms_p50": 3},
            {"name": "kefu", "concurrency": 4, "messages_per_second": 700.0, "latency_ms_p50": 6},
        ],
    }
    assert plots.load_column(payload["results"]) == "concurrency"  # type: ignore[arg-type]
    written = plots.plot_result("demo", payload, tmp_path)
    assert sorted(p.name for p in written) == [
        "demo-latency_ms_p50.png",
        "demo-messages_per_second.png",
    ]
    assert all(p.read_bytes().startswith(PNG_MAGIC) for p in written)


def test_rows_without_load_become_bars_and_unreadable_payloads_no_plot(tmp_path: Path) -> None:
    payload = {
        "results": [
            {"layout": "1-process", "processes": 1, "messages_per_second": 50.0},
            {"layout": "2-split", "processes": 2, "messages_per_second": 80.0},
        ]
    }
    [path] = plots.plot_result("scale", payload, tmp_path)
    assert path.name == "scale-messages_per_second.png"
    assert path.read_bytes().startswith(PNG_MAGIC)
    assert plots.plot_result("odd", {"results": {"not": "rows"}}, tmp_path) == []
    assert plots.plot_result("empty", {}, tmp_path) == []


def test_sockets_are_shared_evenly_over_client_processes() -> None:
    assert _split(10, 3) == [4, 3, 3]
    assert sum(_split(19_600, 2)) == 19_600
