"""Kefu: a self-hosted customer-service platform with a plugin-driven assistant engine."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kefu")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
