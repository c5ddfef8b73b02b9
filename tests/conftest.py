"""Shared fixtures for Kefu's tests."""

import pytest

# The conformance suites live in the package; rewrite their asserts so failures show values.
pytest.register_assert_rewrite("kefu.testing")

from fixtures_servers import fresh_pg_url, kefu_module_server, kefu_server, redis_url  # noqa: E402

__all__ = ["fresh_pg_url", "kefu_module_server", "kefu_server", "redis_url"]
