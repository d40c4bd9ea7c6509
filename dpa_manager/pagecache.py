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
from markupsafe import Markup
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
        with self._lock:
            self.misses += 1
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


def navigation() -> Markup:
    """Return the top bar's links for the user's role on this page, rendered once per language, role and page."""
    navs = current_app.extensions.setdefault("dpa_navigation", {})
    key = (i18n.current(), current_user.is_manager, request.endpoint)
    found = navs.get(key)
    if found is None:
        found = navs[key] = Markup(render_template("_nav.html"))
    return found


def init_app(app) -> None:
    app.jinja_env.globals["navigation"] = navigation
