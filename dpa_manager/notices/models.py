"""Notices: one per change (or terms amendment) and affected agreement, with the client's objection window."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..db_types import UTCDateTime
from ..extensions import Model
from ..rules import NoticeState
from .subjects import Subject, subject_of


class Notice(Model):
    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("change_id", "agreement_id", name="uq_notices_change_agreement"),
        UniqueConstraint("amendment_id", "agreement_id", name="uq_notices_amendment_agreement"),
        # A notice is about one thing: a sub-processor change or an amendment of the terms.
        CheckConstraint(
            "(change_id IS NULL AND amendment_id IS NOT NULL) OR (change_id IS NOT NULL AND amendment_id IS NULL)",
            name="about_one_thing",
        ),
        CheckConstraint(
            "state IN ('awaiting_delivery', 'open', 'informed', 'objected', 'approved', 'deemed_approved', "
            "'withdrawn')",
            name="state_known",
        ),
        # Nobody decides or stays silent before being told.
        CheckConstraint(
            "state NOT IN ('open', 'informed', 'objected', 'approved', 'deemed_approved') OR notified_at IS NOT NULL",
            name="told_before_anything",
        ),
        CheckConstraint(
            "state != 'deemed_approved' OR (closes_at IS NOT NULL AND decided_at >= closes_at)",
            name="silence_only_after_closing",
        ),
        CheckConstraint(
            "needs_approval OR state NOT IN ('open', 'objected', 'approved', 'deemed_approved')",
            name="informational_has_no_window",
        ),
        CheckConstraint("NOT needs_approval OR state != 'informed'", name="window_notices_are_not_informational"),
        CheckConstraint("window_days BETWEEN 1 AND 90", name="window_days_range"),
        # The window applied is never shorter than what the client was told.
        CheckConstraint("stated_closes_at IS NULL OR closes_at >= stated_closes_at", name="never_shorter_than_stated"),
        CheckConstraint(
            "answer_channel IS NULL OR answer_channel IN ('app', 'email', 'letter', 'phone', 'other')",
            name="answer_channel_known",
        ),
        # in the order the sweep, the reminders and the overview read them (closes_at or remind_at, then id)
        Index("ix_notices_state_closes_at", "state", "closes_at", "id"),
        Index("ix_notices_state_remind_at", "state", "remind_at", "id"),
        Index("ix_notices_client_state", "client_id", "state"),
        Index("ix_notices_change_state", "change_id", "state"),
        # pages of a list, newest first, read from the index (no sort of every matching row)
        Index("ix_notices_state_id", "state", "id"),
        Index("ix_notices_change_id", "change_id", "id"),
        Index("ix_notices_amendment_state", "amendment_id", "state"),
        Index("ix_notices_unapplied", "applied_at", "state"),
    )

    #: Whose data this is (see scoping.py).
    client_scope = "client_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The sub-processor change the notice is about, or None for an amendment of the terms.
    change_id: Mapped[int | None] = mapped_column(ForeignKey("changes.id"))
    #: The amendment of the terms the notice is about, or None for a sub-processor change.
    amendment_id: Mapped[int | None] = mapped_column(ForeignKey("amendments.id"))
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    #: False for removals and incidental sub-processors: the client is told, nothing to approve.
    needs_approval: Mapped[bool]
    state: Mapped[str] = mapped_column(String(20), default=NoticeState.AWAITING_DELIVERY.value)
    #: The window, copied from the agreement when the notice was made.
    window_days: Mapped[int]
    window_unit: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When the mail server accepted the notification e-mail.
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When a user of the client first opened the notice in the portal.
    first_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The earlier of the two: the client was told, and the window runs from here.
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the window closes: by the rule from notified_at, never earlier than stated_closes_at.
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The latest closing moment the client was told: in the notice e-mail the mail server accepted, or on the
    #: portal page when the client opened the notice there first.
    stated_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the notice reached objected, approved or deemed approved, and who acted (None: silence).
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    objection_reason: Mapped[str | None] = mapped_column(Text)
    #: How the client's objection or approval reached the processor: "app" (portal or API), or "email", "letter",
    #: "phone", "other" when a manager recorded it; decided_at is then the moment it was received.
    answer_channel: Mapped[str | None] = mapped_column(String(10))
    #: When and by whom an answer received outside the app was recorded.
    answer_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: How a manager resolved an objection (rules.RESOLUTIONS), or "cancelled" when the change was.
    resolution: Mapped[str | None] = mapped_column(String(30))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: When the change took effect for this client.
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: How many times a bounce sent the notice back (to waiting for delivery, or from a deemed approval): the
    #: e-mails of a later round (its outcome) are other messages than those of the first.
    delivery_round: Mapped[int] = mapped_column(default=0, server_default="0")
    #: For an accepted amendment: the agreement on the new version that it produced.
    amended_agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"))

    proofs = relationship("NoticeProof", order_by="NoticeProof.id", back_populates="notice")
    change = relationship("Change")
    amendment = relationship("Amendment")
    agreement = relationship("Agreement", foreign_keys=[agreement_id])
    amended_agreement = relationship("Agreement", foreign_keys=[amended_agreement_id])
    client = relationship("Client")

    def __repr__(self) -> str:
        about = f"change={self.change_id}" if self.change_id else f"amendment={self.amendment_id}"
        return f"<Notice {self.id} {about} client={self.client_id} {self.state}>"

    @property
    def about(self) -> Subject:
        """Return the kind of thing the notice is about, as its domain registered it (see subjects.py)."""
        return subject_of(self)

    @property
    def subject(self) -> str:
        """Return what the notice is about in a few words: the sub-processor, the new terms version, …"""
        return subject_of(self).name(self)

    @property
    def state_enum(self) -> NoticeState:
        return NoticeState(self.state)


class NoticeProof(Model):
    """A document that proves an answer received outside the app (the e-mail as .eml, a scanned letter, ...)."""

    __tablename__ = "notice_proofs"
    __table_args__ = (CheckConstraint("size > 0", name="not_empty"),)

    #: Whose data this is (see scoping.py).
    client_scope = "client_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    notice = relationship("Notice", back_populates="proofs")

    def __repr__(self) -> str:
        return f"<NoticeProof {self.id} notice={self.notice_id} {self.filename} {self.sha256[:12]}>"
