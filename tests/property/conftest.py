"""Hypothesis profiles for the property tests (tests/property).

- "default": 150 examples per property, no deadline (the first call of a parser warms caches and imports);
  the whole directory runs in well under a minute.
- "ci": the same, derandomized (the examples are a function of the test, so a CI run is reproducible and a
  failure reproduces on a laptop); the example database is off.
- "thorough": 2,000 examples per property, for a long run by hand.

Pick one with HYPOTHESIS_PROFILE (e.g. `HYPOTHESIS_PROFILE=ci uv run --frozen pytest -p no:cacheprovider
tests/property`); `CI` set in the environment picks "ci" by default.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("default", max_examples=150, deadline=None, suppress_health_check=_SLOW_OK)
settings.register_profile("ci", max_examples=150, deadline=None, suppress_health_check=_SLOW_OK, derandomize=True,
                          database=None)
settings.register_profile("thorough", max_examples=2000, deadline=None, suppress_health_check=_SLOW_OK)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "default"))
