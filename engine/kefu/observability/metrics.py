"""Prometheus metrics Kefu exports (served at /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

TURNS = Counter(
    "kefu_assistant_turns_total",
    "Visitor turns handled by the assistant, by decision.",
    ["decision"],
)
PLUGIN_FAILURES = Counter(
    "kefu_plugin_failures_total",
    "Plugin calls that raised or timed out; the turn fell back to a human.",
    ["kind", "plugin", "error"],
)
PLUGIN_SECONDS = Histogram(
    "kefu_plugin_seconds",
    "Time spent in plugin calls during a turn.",
    ["kind", "plugin"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
