"""Kefu's built-in plugins, each registered under a ``kefu.*`` entry-point namespace."""
