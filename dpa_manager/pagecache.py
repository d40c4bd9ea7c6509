"""Rendered pages and parts of pages, kept in each worker process while nothing they show has changed.

Every state change appends an audit event in the same transaction (see audit.py), naming the
client whose data it changed, or no client when it changes what every client sees (the register,
a change, an intervention). A client's part is therefore valid while neither the client's last
event nor the last event for no client has moved: that pair is its stamp. The stamp is read
before the page's data, so a part rendered from data newer than its stamp is at worst rendered
again; it is never served stale. tests/test_pagecache.py holds the services to this: every
transaction that writes what the portal lists appends an event, and after each step of a notice's
life the kept page equals a fresh rendering. Parts are keyed by the caller (client, language,
date, the user as shown...) and kept in a small LRU per worker process. What differs at every
request (the session's CSRF token, the return path of the language menu) is left as a slot in the
kept HTML and filled in as the response leaves (fill_slots).
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from flask import current_app, render_template, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from sqlalchemy import bindparam, func, literal_column, select, text

from . import i18n
from .audit import SHARED_EVENTS, AuditEvent
from .extensions import db


class PageCache:
    """An LRU of rendered parts, each stored with the audit stamp it was rendered at."""

    def __init__(self, size: int):
        self.size = size
        self._parts: OrderedDict[Hashable, tuple[int, Markup]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0  #: parts served as kept (the tests read it)

    def part(self, key: Hashable, render: Callable[[], str], *, client_id: int) -> Markup:
        """Return the part of a client's page stored under `key` if nothing of concern to the client was
        recorded since it was rendered; else render it."""
        return self._kept_or_rendered(key, current_stamp(client_id) if self.size > 0 else None, render)

    def kept(self, key: Hashable, render: Callable[[], str]) -> Markup:
        """Return the part stored under `key`, rendering it the first time (for parts that never go stale)."""
        return self._kept_or_rendered(key, None, render)

    def _kept_or_rendered(self, key: Hashable, stamp, render: Callable[[], str]) -> Markup:
        if self.size <= 0:
            return Markup(render())
        with self._lock:
            found = self._parts.get(key)
            if found is not None and found[0] == stamp:
                self._parts.move_to_end(key)
                self.hits += 1
                return found[1]
        body = Markup(render())
        with self._lock:
            self._parts[key] = (stamp, body)
            self._parts.move_to_end(key)
            while len(self._parts) > self.size:
                self._parts.popitem(last=False)
        return body

    def clear(self) -> None:
        with self._lock:
            self._parts.clear()


def current_stamp(client_id: int) -> tuple:
    """Return the sequence numbers of the client's last event and of the last event for every client."""
    return tuple(db.session.execute(_stamp_query(db.engine.dialect.name), {"client_id": client_id}).one())


@functools.cache
def _stamp_query(dialect: str):
    own = select(func.max(AuditEvent.seq)).where(AuditEvent.client_id == bindparam("client_id")).scalar_subquery()
    if dialect == "sqlite":  # its planner would walk every event without a client, log-ins included
        shared: Any = literal_column(
            f"(SELECT max(seq) FROM audit_events INDEXED BY ix_audit_events_shared WHERE {SHARED_EVENTS})"
        )
    else:
        shared = select(func.max(AuditEvent.seq)).where(text(SHARED_EVENTS)).scalar_subquery()
    return select(own, shared)


def cache() -> PageCache:
    """Return this app's page cache (created on first use, sized by PAGE_CACHE_SIZE)."""
    return _app_cache("dpa_page_cache", current_app.config["PAGE_CACHE_SIZE"])


def _app_cache(name: str, size: int) -> PageCache:
    found = current_app.extensions.get(name)
    if found is None:
        found = current_app.extensions[name] = PageCache(size)
    return found


#: Stand-ins for what changes at every request in a kept top bar, filled in by fill_slots as the response
#: leaves; a NUL never reaches a page from input (security.refuse_bad_text), so no user's text holds one.
CSRF_SLOT, NEXT_SLOT = Markup("\x00csrf\x00"), Markup("\x00next\x00")


def shown_user() -> tuple | None:
    """Return what a page shows of the user: the role, the name and the client's name."""
    user = current_user
    if not user.is_authenticated:
        return None
    return user.is_manager, user.full_name or user.email, None if user.is_manager else user.client.name


def topbar() -> Markup:
    """Return the top bar, rendered once per language, page and user as shown, with slots for the token and
    the return path."""
    kept = _app_cache("dpa_topbars", current_app.config["PAGE_CACHE_SIZE"] * 4)
    key = (i18n.current(), request.endpoint, shown_user())
    return kept.kept(key, lambda: render_template("_topbar.html", csrf_slot=CSRF_SLOT, next_slot=NEXT_SLOT))


def fill_slots(response):
    """Put the session's CSRF token and the request's path into the top bar of an HTML page."""
    if response.mimetype == "text/html" and not response.direct_passthrough and not response.is_streamed:
        data = response.get_data()
        if b"\x00" in data:
            response.set_data(
                data.replace(_CSRF_BYTES, escape(generate_csrf()).encode()).replace(
                    _NEXT_BYTES, escape(request.full_path).encode()
                )
            )
    return response


_CSRF_BYTES, _NEXT_BYTES = CSRF_SLOT.encode(), NEXT_SLOT.encode()


def cached_page(key: tuple, render: Callable[[], str], *, client_id: int) -> str:
    """Return a client's whole page from the cache (see PageCache.part), or render it; a page with
    messages to flash is rendered, since they show once."""
    if session.get("_flashes"):
        return render()
    return cache().part(key + (shown_user(),), render, client_id=client_id)


def init_app(app) -> None:
    app.jinja_env.globals["topbar"] = topbar
    app.after_request(fill_slots)
