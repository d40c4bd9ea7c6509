"""Bulk inserts (COPY on PostgreSQL, executemany on SQLite) keep the model's defaults or refuse loudly."""

from datetime import date

import pytest
from sqlalchemy import select

from dpa_manager import bulk
from dpa_manager.changes import services as changes
from dpa_manager.clients.models import Client
from dpa_manager.extensions import db
from dpa_manager.notices.models import Notice
from dpa_manager.notices.services import create_notices

from .conftest import NOW


def test_a_fixed_default_left_out_is_filled_in(make_agreement, make_subprocessor, manager):
    agreement = make_agreement("signed")
    change = changes.create_change(
        kind="add",
        subprocessor_id=make_subprocessor().id,
        effective_on=date(2026, 12, 15),
        reason="Nieuw platform",
        actor=manager,
        now=NOW,
    )
    ((notice_id, client_id),) = create_notices(
        [
            {  # no state: the model's default
                "change_id": change.id,
                "agreement_id": agreement.id,
                "client_id": agreement.client_id,
                "needs_approval": True,
                "window_days": agreement.window_days,
                "window_unit": agreement.window_unit,
                "created_at": NOW,
            }
        ]
    )
    db.session.commit()
    assert client_id == agreement.client_id
    assert db.session.scalar(select(Notice.state).where(Notice.id == notice_id)) == "awaiting_delivery"


def test_a_computed_default_left_out_is_refused(app):
    with pytest.raises(ValueError, match="feed_token"):
        bulk.insert_rows(
            Client.__table__,
            [
                {
                    "name": "Klant",
                    "enterprise_number": "0200000000",
                    "address": "Straat 1",
                    "language": "nl",
                    "contact_email": "klant@example.be",
                    "created_at": NOW,
                }
            ],
        )
    db.session.rollback()
    assert db.session.scalar(select(Client.id)) is None
