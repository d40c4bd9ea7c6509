"""When a session ends, and how a browser is named: pure rules of accounts.sessions."""

from datetime import UTC, datetime, timedelta

import pytest

from dpa_manager.accounts.sessions import Limits, device, ends_at

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
LIMITS = Limits(idle=timedelta(minutes=30), lifetime=timedelta(hours=12))


@pytest.mark.parametrize(
    "last_seen, expected",
    [
        (T0, T0 + timedelta(minutes=30)),  # never used after login: idle
        (T0 + timedelta(hours=2), T0 + timedelta(hours=2, minutes=30)),
        (T0 + timedelta(hours=11, minutes=29), T0 + timedelta(hours=11, minutes=59)),
        (T0 + timedelta(hours=11, minutes=30), T0 + timedelta(hours=12)),  # the lifetime comes first
        (T0 + timedelta(hours=11, minutes=59), T0 + timedelta(hours=12)),
    ],
)
def test_ends_at(last_seen, expected):
    assert ends_at(T0, last_seen, LIMITS) == expected


@pytest.mark.parametrize(
    "agent, words",
    [
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox · Windows"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36 Edg/131.0",
            "Edge · Windows",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 Version/17.1 Safari/605.1.15",
            "Safari · macOS",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 Mobile Safari/604.1",
            "Safari · iOS",
        ),
        ("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36", "Chrome · Android"),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36", "Chrome · Linux"),
        ("curl/8.5.0", "curl"),
        ("", ""),
        ("something else", ""),
    ],
)
def test_device(agent, words):
    assert device(agent) == words
