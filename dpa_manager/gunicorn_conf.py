"""Settings for gunicorn, the server `make serve` and the README's production steps run the app under.

`gunicorn -c python:dpa_manager.gunicorn_conf …` reads them. Once a worker has built the app, the objects it
made (modules, templates, the app itself: about 100,000) are moved out of Python's cyclic garbage collector,
so that a full collection during a request looks only at what requests made since: without this, a full
collection took 30 to 90 ms on this machine, the slowest request of thirty on a busy page.

The access log goes through RedactingLogger: secret links never reach it in full.
"""

from __future__ import annotations

import gc

from gunicorn.glogging import Logger

from dpa_manager.text import redact, redact_logs

#: Request headers that never reach the access log, whatever its format asks.
UNLOGGED = frozenset({"{authorization}i", "{cookie}i", "{set-cookie}o"})


class RedactingLogger(Logger):
    """Gunicorn's logger, with the secret part of feed, invitation, password-reset and notice links cut short in
    the access log (request line, path, query, referrer) and credentials left out."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        redact_logs(self.error_log)  # "Error handling request <path>"

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if key in UNLOGGED:
                atoms[key] = "-"
            elif isinstance(value, str):
                atoms[key] = redact(value)
        return atoms


logger_class = RedactingLogger


def post_worker_init(worker) -> None:
    """Gunicorn's hook, run in each worker after it has loaded the app: collect once, then freeze what is left."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    worker.log.info("Worker %s: %d objects of the app frozen for the garbage collector", worker.pid, frozen)
