"""The contract base classes live outside test modules: their asserts are rewritten all the same."""

import pytest

pytest.register_assert_rewrite("tests.channels.contract")
