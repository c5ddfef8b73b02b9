"""Let pytest rewrite the asserts of the shared message-filter suite, for readable failures."""

import pytest

pytest.register_assert_rewrite("kefu.testing.filter")
