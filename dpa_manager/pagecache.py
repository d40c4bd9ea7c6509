"""Rendered parts of read-mostly pages, kept in each worker process while nothing has changed.

A part is valid as long as the audit trail has not grown: every state change appends an audit
event in the same transaction (see audit.py), so `audit_head.seq` is a stamp that moves with
every change to anything a page can show. The stamp is read before the page's data, so a part
rendered from data newer than its stamp is at worst rendered again; it is never served stale.
Parts are keyed by the caller (client, language, date...) and kept in a small LRU per process.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Hashable

from flask import current_app, render_template, request
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from . import i18n
from .audit import AuditHead
from .extensions import db


class PageCache:
    """An LRU of rendered parts, each stored with the audit stamp it was rendered at."""

    def __init__(self, size: int):
        self.size = size
        self._parts: OrderedDict[Hashable, tuple[int, Markup]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def part(self, key: Hashable, render: Callable[[], str]) -> Markup:
        """Return the part stored under `key` if nothing was recorded since it was rendered; else render it."""
        if self.size <= 0:
            return Markup(render())
        stamp = current_stamp()
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


def current_stamp() -> int:
    """Return the audit trail's last sequence number: it changes with every recorded state change."""
    return db.session.scalar(select(AuditHead.seq).where(AuditHead.id == 1)) or 0


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
