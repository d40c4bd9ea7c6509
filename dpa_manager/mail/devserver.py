"""A local SMTP server for development: every accepted message is stored as a .eml file."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller


class StoreHandler:
    """Accept every message and write it to `folder`, one file a message."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f")
        path = self.folder / f"{stamp}.eml"
        path.write_bytes(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def serve(host: str, port: int, folder: Path) -> None:
    """Run until interrupted."""
    run_until_interrupted(
        Controller(StoreHandler(folder), hostname=host, port=port),
        f"Ontwikkelmailserver op {host}:{port}; berichten in {folder}",
    )


def run_until_interrupted(controller: Controller, banner: str) -> None:
    """Start an aiosmtpd controller, say `banner`, and serve until interrupted (Ctrl-C)."""
    controller.start()
    print(banner, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
