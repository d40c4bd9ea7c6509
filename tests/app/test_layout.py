"""How the code and its tests are laid out."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_pure_rules_are_tested_without_the_app_or_a_mail_server():
    """tests/unit/ needs no fixture of tests/app/: running it alone loads no view, no app and no SMTP server."""
    check = (
        "import sys, pytest\n"
        "code = pytest.main(['tests/unit', '-q', '-p', 'no:cacheprovider'])\n"
        "names = ('aiosmtpd', 'dpa_manager.notices.views', 'dpa_manager.mail.sender')\n"
        "loaded = [m for m in names if m in sys.modules]\n"
        "print('exit', int(code), 'loaded', loaded)\n"
    )
    result = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.stdout.strip().splitlines()[-1] == "exit 0 loaded []", result.stdout[-2000:] + result.stderr[-2000:]
