"""Loaded by every Python process of the suite's run under libfaketime (PYTHONPATH=tests/faketime, see .ci/run).

libfaketime makes the absolute-deadline sleep behind time.sleep fail with EINVAL when the monotonic clock is
left alone (DONT_FAKE_MONOTONIC=1, without which threads hang). Sleeping through select() works; only sleeping
changes, never what time it is.
"""

import os

if "faketime" in os.environ.get("LD_PRELOAD", ""):
    import select
    import time

    def _sleep(seconds: float) -> None:
        select.select([], [], [], max(seconds, 0))

    time.sleep = _sleep
