"""What the feeds and the public register read, and replacing a client's feed secret."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from .. import audit
from ..clients.models import Client
from ..extensions import db
from ..notices.models import Notice
from ..notices.subjects import load_options
from ..rules import ChangeState, NoticeState, SubProcessorStatus
from ..subprocessors.models import Change, SubProcessor

#: Entries in a feed, newest first.
FEED_ENTRIES = 200


def client_by_feed_token(token: str, *, days: int | None, now: datetime) -> Client | None:
    """Return the client whose feed secret `token` is, while it lasts (`days` after it was made; None: always)."""
    if len(token) > 64:
        return None
    client = db.session.scalar(select(Client).where(Client.feed_token == token))
    expires = client.feed_expires_at(days) if client is not None else None
    if client is None or (expires is not None and now >= expires):
        return None
    return client


def change_notices(client_id: int) -> Sequence[Notice]:
    """Return the client's newest notices of sub-processor changes, with each change and its entry."""
    return db.session.scalars(
        select(Notice)
        .where(Notice.client_id == client_id, Notice.change_id.is_not(None))
        .options(selectinload(Notice.change).selectinload(Change.subprocessor))
        .order_by(Notice.id.desc())
        .limit(FEED_ENTRIES)
    ).all()


def open_notices(client_id: int) -> Sequence[Notice]:
    """Return the client's open notices, the first to close first, with what each is about."""
    return db.session.scalars(
        select(Notice)
        .where(Notice.client_id == client_id, Notice.state == NoticeState.OPEN.value)
        .options(*load_options())
        .order_by(Notice.closes_at)
    ).all()


def rotate_feed_token(client: Client, *, actor, now: datetime) -> None:
    """Give the client new feed addresses (the old ones stop working)."""
    before = client.feed_token[:6]
    client.feed_token = secrets.token_urlsafe(24)
    client.feed_token_at = now
    audit.record(
        at=now,
        actor=actor,
        object_type="client",
        object_id=client.id,
        client_id=client.id,
        action="feed_token_rotated",
        before={"token_start": before},
    )


def announced_changes() -> Sequence[Change]:
    """Return the changes announced and not withdrawn, newest first (the public register shows no client)."""
    return db.session.scalars(
        select(Change)
        .where(Change.state == ChangeState.ANNOUNCED)
        .options(selectinload(Change.subprocessor), selectinload(Change.replaces))
        .order_by(Change.announced_at.desc())
        .limit(FEED_ENTRIES)
    ).all()


def register_in_use() -> Sequence[SubProcessor]:
    """Return the sub-processors in use, by name."""
    return db.session.scalars(
        select(SubProcessor).where(SubProcessor.status == SubProcessorStatus.ACTIVE).order_by(SubProcessor.name)
    ).all()


def register_history() -> Sequence[SubProcessor]:
    """Return every sub-processor that has been in use, by name."""
    return db.session.scalars(
        select(SubProcessor)
        .where(or_(SubProcessor.activated_on.is_not(None), SubProcessor.retired_on.is_not(None)))
        .order_by(SubProcessor.name)
    ).all()
