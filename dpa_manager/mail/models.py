"""The outbox: every e-mail, written in the transaction of the change that causes it."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from ..db_types import UTCDateTime
from ..extensions import Model
from ..rules import OutboxState


class OutboxMessage(Model):
    __tablename__ = "outbox"
    __table_args__ = (
        # cancelled: no longer true when its turn came (a reminder of a notice that is no longer open).
        CheckConstraint("state IN ('pending', 'sending', 'sent', 'dead', 'cancelled')", name="state_known"),
        Index("ix_outbox_due", "state", "next_attempt_at"),
        Index("ix_outbox_state_id", "state", "id"),  # the outbox's pages per state, newest first
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
    state: Mapped[str] = mapped_column(String(10), default=OutboxState.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: A sender holds the message until then; after that another sender may take it over.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(40))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When the mail server first accepted the message (for at least one recipient): the earliest acceptance known.
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: For a notice e-mail: the closing moment of the window that the message states (and its .ics).
    stated_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What was sent, as rendered for the first acceptance recorded (outbox_acceptances keeps any other).
    subject: Mapped[str | None] = mapped_column(String(300))
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.dedupe_key} {self.state}>"


class OutboxRecipient(Model):
    """What the mail server answered for one recipient of a message; no row yet means not answered yet.

    accepted: the server took the message for this address (at accepted_at, the earliest acceptance known);
    deferred: refused for now (4yz), tried again with the message's next attempt;
    refused: refused for good (5yz, or still refused when the attempts ran out), never tried again unless re-queued;
    bounced: accepted (at accepted_at), then a delivery status notification said it failed for good to reach the
    address (reply holds its status and diagnostic; the bounce itself is kept in mail_bounces).
    """

    __tablename__ = "outbox_recipients"
    __table_args__ = (
        CheckConstraint("state IN ('accepted', 'deferred', 'refused', 'bounced')", name="state_known"),
        UniqueConstraint("outbox_id", "address", name="uq_outbox_recipients_address"),
        # the dashboard's "refused for good" list
        Index(
            "ix_outbox_recipients_refused",
            "outbox_id",
            sqlite_where=text("state = 'refused'"),
            postgresql_where=text("state = 'refused'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"))
    address: Mapped[str] = mapped_column(String(320))
    state: Mapped[str] = mapped_column(String(10))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: How many times the server refused this address, and its last answer.
    refusals: Mapped[int] = mapped_column(default=0)
    reply: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<OutboxRecipient {self.outbox_id} {self.address} {self.state}>"


class OutboxAcceptance(Model):
    """One SMTP transaction that the mail server accepted: when, for which recipients, stating what.

    Committed as soon as the server has answered, by whichever sender sent it (also one whose claim had lapsed),
    so that the rare second acceptance of the same message is recorded beside the first. `applied` is false
    when its notice could not be told in the same transaction: the next drain tells it.
    """

    __tablename__ = "outbox_acceptances"
    __table_args__ = (
        Index(
            "ix_outbox_acceptances_unapplied",
            "id",
            sqlite_where=text("NOT applied"),
            postgresql_where=text("NOT applied"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), index=True)
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recipients: Mapped[list] = mapped_column(JSON)
    #: For a notice e-mail: the closing moment this message stated.
    stated_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What this transaction carried, when it differs from what the message records (None: the same).
    subject: Mapped[str | None] = mapped_column(String(300))
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    #: The message as the server took it (the bytes after DATA), its answer to DATA (e.g. "250 2.0.0 Ok: queued as
    #: 4ABC"), and the clock the moment came from. None for acceptances recorded before they were kept.
    raw_message: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    data_reply: Mapped[str | None] = mapped_column(String(500))
    clock: Mapped[str | None] = mapped_column(String(200))
    #: For a notice e-mail: whether the notice has been told of this acceptance (its window started or moved).
    applied: Mapped[bool] = mapped_column(default=False)

    def __repr__(self) -> str:
        return f"<OutboxAcceptance {self.outbox_id} {self.accepted_at} {self.recipients}>"


class MailBounce(Model):
    """A message that came back to an e-mail's return path: a delivery status notification (RFC 3464) or not.

    Kept byte for byte, whatever it says; recorded once (by its SHA-256), in the transaction that acts on it.
    """

    __tablename__ = "mail_bounces"
    __table_args__ = (
        CheckConstraint("via IN ('smtp', 'imap')", name="via_known"),
        CheckConstraint("kind IN ('failed', 'delayed', 'delivered', 'unreadable')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: How it reached the app: at `dpa bounce-server` (smtp) or in the IMAP mailbox (imap).
    via: Mapped[str] = mapped_column(String(10))
    #: The return path it was sent to, as the bounce server or the mailbox's headers name it.
    envelope_to: Mapped[str | None] = mapped_column(String(320))
    #: The message it is about (None: no valid return path token or Message-ID of ours in it).
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"), index=True)
    #: failed (for good), delayed (a temporary failure, still being tried), delivered (a positive report), or
    #: unreadable (no delivery status report in it: kept, acted on by no one but a manager).
    kind: Mapped[str] = mapped_column(String(12))
    #: Per recipient reported: {"address", "action", "status", "diagnostic"}.
    recipients: Mapped[list] = mapped_column(JSON, default=list)
    #: What the app did about it, in a sentence (for the managers and the evidence file).
    effect: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int]
    raw: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))

    def __repr__(self) -> str:
        return f"<MailBounce {self.id} {self.kind} outbox={self.outbox_id}>"
