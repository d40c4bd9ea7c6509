"""Rendered parts of read-mostly pages, kept in each worker process while nothing has changed.

Every state change appends an audit event in the same transaction (see audit.py), naming the
client whose data it changed, or no client when it changes what every client sees (the register,
a change, an intervention). A client's part is therefore valid while neither the client's last
event nor the last event for no client has moved: that pair is its stamp. The stamp is read
before the page's data, so a part rendered from data newer than its stamp is at worst rendered
again; it is never served stale. tests/test_pagecache.py holds the services to this: every
transaction that writes what the portal lists appends an event, and after each step of a notice's
life the kept part equals a fresh rendering. Parts are keyed by the caller (client, language,
date...) and kept in a small LRU per worker process.
"""
from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from typing import Callable, Hashable

from flask import current_app, render_template, request
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
        self.hits = self.misses = 0

    def part(self, key: Hashable, render: Callable[[], str], *, client_id: int) -> Markup:
        """Return the part of a client's page stored under `key` if nothing of concern to the client was
        recorded since it was rendered; else render it."""
        if self.size <= 0:
            return Markup(render())
        stamp = current_stamp(client_id)
        with self._lock:
            kept = self._parts.get(key)
            if kept is not None and kept[0] == stamp:
                self._parts.move_to_end(key)
                self.hits += 1
                return kept[1]
        body = Markup(render())
        self.misses += 1
        self._store(key, stamp, body)
        return body

    def kept(self, key: Hashable, render: Callable[[], str]) -> Markup:
        """Return the part stored under `key`, rendering it the first time (for parts that never go stale)."""
        if self.size <= 0:
            return Markup(render())
        with self._lock:
            found = self._parts.get(key)
            if found is not None:
                self._parts.move_to_end(key)
                return found[1]
        body = Markup(render())
        self._store(key, None, body)
        return body

    def _store(self, key: Hashable, stamp, body: Markup) -> None:
        with self._lock:
            self._parts[key] = (stamp, body)
            self._parts.move_to_end(key)
            while len(self._parts) > self.size:
                self._parts.popitem(last=False)

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
        shared = literal_column(
            f"(SELECT max(seq) FROM audit_events INDEXED BY ix_audit_events_shared WHERE {SHARED_EVENTS})")
    else:
        shared = select(func.max(AuditEvent.seq)).where(text(SHARED_EVENTS)).scalar_subquery()
    return select(own, shared)


def cache() -> PageCache:
    """Return this app's page cache (created on first use, sized by PAGE_CACHE_SIZE)."""
    found = current_app.extensions.get("dpa_page_cache")
    if found is None:
        found = current_app.extensions["dpa_page_cache"] = PageCache(current_app.config["PAGE_CACHE_SIZE"])
    return found


#: Stand-ins for what changes at every request in a kept top bar; a NUL never reaches a page from input
#: (security.refuse_bad_text), so no user's text can contain them.
CSRF_SLOT, NEXT_SLOT = Markup("\x00csrf\x00"), Markup("\x00next\x00")


def topbar() -> Markup:
    """Return the top bar: rendered once per language, page and user as shown, its token and return path
    filled in at each request."""
    kept = current_app.extensions.get("dpa_topbars")
    if kept is None:
        kept = current_app.extensions["dpa_topbars"] = PageCache(current_app.config["PAGE_CACHE_SIZE"] * 4)
    user = current_user
    shown = (user.is_manager, user.full_name or user.email, None if user.is_manager else user.client.name) \
        if user.is_authenticated else None
    key = (i18n.current(), request.endpoint, shown)
    frame = kept.kept(key, lambda: render_template("_topbar.html", csrf_slot=CSRF_SLOT, next_slot=NEXT_SLOT))
    return Markup(frame.replace(CSRF_SLOT, escape(generate_csrf())).replace(NEXT_SLOT, escape(request.full_path)))


def init_app(app) -> None:
    app.jinja_env.globals["topbar"] = topbar
