"""Let pytest rewrite the asserts of the shared event-bus suite, for readable failures."""

import pytest

pytest.register_assert_rewrite("kefu.testing.bus")
