"""Notices: one per change (or terms amendment) and affected agreement, with the client's objection window."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db_types import UTCDateTime
from ..extensions import db
from ..rules import NoticeState


class Notice(db.Model):
    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("change_id", "agreement_id", name="uq_notices_change_agreement"),
        UniqueConstraint("amendment_id", "agreement_id", name="uq_notices_amendment_agreement"),
        # A notice is about one thing: a sub-processor change or an amendment of the terms.
        CheckConstraint("(change_id IS NULL AND amendment_id IS NOT NULL) OR "
                        "(change_id IS NOT NULL AND amendment_id IS NULL)", name="about_one_thing"),
        CheckConstraint(
            "state IN ('awaiting_delivery', 'open', 'informed', 'objected', 'approved', 'deemed_approved', "
            "'withdrawn')", name="state_known"),
        # Nobody decides or stays silent before being told.
        CheckConstraint(
            "state NOT IN ('open', 'informed', 'objected', 'approved', 'deemed_approved') OR notified_at IS NOT NULL",
            name="told_before_anything"),
        CheckConstraint(
            "state != 'deemed_approved' OR (closes_at IS NOT NULL AND decided_at >= closes_at)",
            name="silence_only_after_closing"),
        CheckConstraint(
            "needs_approval OR state NOT IN ('open', 'objected', 'approved', 'deemed_approved')",
            name="informational_has_no_window"),
        CheckConstraint("NOT needs_approval OR state != 'informed'", name="window_notices_are_not_informational"),
        CheckConstraint("window_days BETWEEN 1 AND 90", name="window_days_range"),
        Index("ix_notices_state_closes_at", "state", "closes_at"),
        Index("ix_notices_state_remind_at", "state", "remind_at"),
        Index("ix_notices_client_state", "client_id", "state"),
        Index("ix_notices_change_state", "change_id", "state"),
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
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the notice reached objected, approved or deemed approved, and who acted (None: silence).
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    objection_reason: Mapped[str | None] = mapped_column(Text)
    #: How a manager resolved an objection (rules.RESOLUTIONS), or "cancelled" when the change was.
    resolution: Mapped[str | None] = mapped_column(String(30))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: When the change took effect for this client.
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    change = relationship("Change")
    amendment = relationship("Amendment")
    agreement = relationship("Agreement")
    client = relationship("Client")

    def __repr__(self) -> str:
        return f"<Notice {self.id} change={self.change_id} amendment={self.amendment_id} client={self.client_id} {self.state}>"

    @property
    def is_amendment(self) -> bool:
        return self.amendment_id is not None

    @property
    def subject(self) -> str:
        """Return what the notice is about in a few words: the sub-processor, or the new terms version."""
        if self.amendment_id is not None:
            return self.amendment.version.label
        return self.change.subprocessor.name

    @property
    def state_enum(self) -> NoticeState:
        return NoticeState(self.state)
