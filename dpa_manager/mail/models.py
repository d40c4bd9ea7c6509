"""The outbox: every e-mail, written in the transaction of the change that causes it."""
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db_types import UTCDateTime
from ..extensions import db


class OutboxMessage(db.Model):
    __tablename__ = "outbox"
    __table_args__ = (
        # cancelled: no longer true when its turn came (a reminder of a notice that is no longer open).
        CheckConstraint("state IN ('pending', 'sending', 'sent', 'dead', 'cancelled')", name="state_known"),
        Index("ix_outbox_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What the message is about, e.g. "notice:42"; a second one with the same key is never written.
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    #: Deterministic, so a retry after a lost reply is the same message.
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    #: The template under templates/emails/, e.g. "notice".
    template: Mapped[str] = mapped_column(String(40))
    #: Ids and values the template is rendered from, at sending time.
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    recipients: Mapped[list] = mapped_column(JSON)
    language: Mapped[str] = mapped_column(String(2), default="nl")
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), index=True)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"), index=True)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: A sender holds the message until then; after that another sender may take it over.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(40))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When the mail server accepted the message.
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: For a notice e-mail: the closing moment of the window that the message states (and its .ics).
    stated_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What was sent, rendered at the last attempt.
    subject: Mapped[str | None] = mapped_column(String(300))
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.dedupe_key} {self.state}>"
