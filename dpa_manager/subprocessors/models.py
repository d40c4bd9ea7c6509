"""The register of sub-processors, the changes announced to clients, and what applies to whom."""

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db_types import UTCDateTime
from ..extensions import Model, db
from ..rules import ChangeState, SubProcessorStatus

subprocessor_services = Table(
    "subprocessor_services",
    db.metadata,
    Column("subprocessor_id", ForeignKey("subprocessors.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("services.id"), primary_key=True, index=True),
)


class SubProcessor(Model):
    __tablename__ = "subprocessors"
    __table_args__ = (
        CheckConstraint("kind IN ('active_systematic', 'incidental')", name="kind_known"),
        CheckConstraint("status IN ('proposed', 'active', 'retired')", name="status_known"),
        CheckConstraint(
            "transfer_mechanism IS NULL OR transfer_mechanism IN ('adequacy', 'scc', 'bcr', 'other')",
            name="transfer_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    registration_number: Mapped[str] = mapped_column(String(60), default="")
    #: The service it provides to the processor.
    purpose: Mapped[str] = mapped_column(Text)
    #: Its registered address and a contact (a person, a mailbox) for Annex IV.
    address: Mapped[str] = mapped_column(Text, default="")
    contact: Mapped[str] = mapped_column(String(300), default="")
    #: French and English versions of purpose and transfer_text, {"fr": {"purpose": ...}, "en": {...}}.
    translations: Mapped[dict | None] = mapped_column(JSON)
    #: ISO 3166 alpha-2 codes of the processing locations.
    countries: Mapped[list] = mapped_column(JSON, default=list)
    #: Required when a location is outside the EEA, refused otherwise.
    transfer_mechanism: Mapped[str | None] = mapped_column(String(12))
    transfer_text: Mapped[str] = mapped_column(Text, default="")
    #: Codes from catalogue.DATA_CATEGORIES that it receives.
    data_categories: Mapped[list] = mapped_column(JSON, default=list)
    kind: Mapped[str] = mapped_column(String(20), default="active_systematic")
    website: Mapped[str] = mapped_column(String(300), default="")
    #: proposed until a change brings it into use, active while in use, retired after.
    status: Mapped[str] = mapped_column(String(10), default=SubProcessorStatus.PROPOSED.value, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    activated_on: Mapped[date | None]
    retired_on: Mapped[date | None]

    #: The services it is used for; none means all services.
    services = relationship("Service", secondary=subprocessor_services, order_by="Service.name")

    def __repr__(self) -> str:
        return f"<SubProcessor {self.id} {self.name} {self.status}>"

    @property
    def is_incidental(self) -> bool:
        return self.kind == "incidental"


class Change(Model):
    """An intended addition, replacement or removal of a sub-processor."""

    __tablename__ = "changes"
    __table_args__ = (
        CheckConstraint("kind IN ('add', 'replace', 'remove')", name="kind_known"),
        CheckConstraint("state IN ('draft', 'announced', 'cancelled')", name="state_known"),
        CheckConstraint(
            "(kind = 'replace' AND replaces_id IS NOT NULL AND replaces_id != subprocessor_id) "
            "OR (kind != 'replace' AND replaces_id IS NULL)",
            name="replace_names_another",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    #: The sub-processor added, brought in as a replacement, or removed.
    subprocessor_id: Mapped[int] = mapped_column(ForeignKey("subprocessors.id"), index=True)
    #: For a replacement: the sub-processor that goes.
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("subprocessors.id"))
    #: The planned date; per client the change takes effect on it or when the client's notice settles.
    effective_on: Mapped[date]
    reason: Mapped[str] = mapped_column(Text)
    #: French and English versions of the reason, {"fr": {"reason": ...}, "en": {...}}.
    translations: Mapped[dict | None] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(10), default=ChangeState.DRAFT.value, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    announced_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    subprocessor = relationship("SubProcessor", foreign_keys=[subprocessor_id])
    replaces = relationship("SubProcessor", foreign_keys=[replaces_id])

    def __repr__(self) -> str:
        return f"<Change {self.id} {self.kind} sp={self.subprocessor_id} {self.state}>"


class Assignment(Model):
    """A sub-processor applying to one client over a period: the client's list and its history."""

    __tablename__ = "client_subprocessors"
    __table_args__ = (
        CheckConstraint("until_on IS NULL OR until_on >= from_on", name="period_ordered"),
        Index("ix_client_subprocessors_client_period", "client_id", "from_on", "until_on"),
        Index("ix_client_subprocessors_sp_open", "subprocessor_id", "until_on"),
    )

    #: Whose data this is (see scoping.py).
    client_scope = "client_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    subprocessor_id: Mapped[int] = mapped_column(ForeignKey("subprocessors.id"))
    from_on: Mapped[date]
    #: The first day it no longer applies; None while it applies.
    until_on: Mapped[date | None]
    #: The change that brought it in (None: part of the agreement the client signed).
    change_id: Mapped[int | None] = mapped_column(ForeignKey("changes.id"))
    ended_by_change_id: Mapped[int | None] = mapped_column(ForeignKey("changes.id"))

    subprocessor = relationship("SubProcessor")

    def __repr__(self) -> str:
        return f"<Assignment client={self.client_id} sp={self.subprocessor_id} {self.from_on}–{self.until_on}>"


class Intervention(Model):
    """One occasion on which an incidental sub-processor touched personal data (e.g. a maintenance visit).

    Logged for the record and shown to every client the sub-processor applied to on that day;
    it never needs approval.
    """

    __tablename__ = "interventions"

    id: Mapped[int] = mapped_column(primary_key=True)
    subprocessor_id: Mapped[int] = mapped_column(ForeignKey("subprocessors.id"), index=True)
    happened_on: Mapped[date]
    reason: Mapped[str] = mapped_column(Text)
    #: Codes from catalogue.DATA_CATEGORIES that were touched.
    data_categories: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    subprocessor = relationship("SubProcessor")

    def __repr__(self) -> str:
        return f"<Intervention {self.id} sp={self.subprocessor_id} {self.happened_on}>"
