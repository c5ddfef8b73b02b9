"""Metrics, logs and health: what operators watch."""
