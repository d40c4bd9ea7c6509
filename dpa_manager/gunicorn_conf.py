"""Settings for gunicorn, the server `make serve` and the README's production steps run the app under.

`gunicorn -c python:dpa_manager.gunicorn_conf …` reads them. Once a worker has built the app, the objects it
made (modules, templates, the app itself: about 100,000) are moved out of Python's cyclic garbage collector,
so that a full collection during a request looks only at what requests made since: without this, a full
collection took 30 to 90 ms on this machine, the slowest request of thirty on a busy page.
"""

from __future__ import annotations

import gc


def post_worker_init(worker) -> None:
    """Gunicorn's hook, run in each worker after it has loaded the app: collect once, then freeze what is left."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    worker.log.info("Worker %s: %d objects of the app frozen for the garbage collector", worker.pid, frozen)
