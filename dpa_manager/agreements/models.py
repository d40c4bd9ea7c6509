"""Processing agreements: one client, one terms version, the particulars and the signatures."""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..db_types import UTCDateTime
from ..extensions import Model, db
from ..rules import AgreementState

agreement_services = Table(
    "agreement_services",
    db.metadata,
    Column("agreement_id", ForeignKey("agreements.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("services.id"), primary_key=True, index=True),
)


class Agreement(Model):
    __tablename__ = "agreements"
    __table_args__ = (
        CheckConstraint(
            "state IN ('draft', 'sent', 'signed', 'superseded', 'terminated', 'annulled')", name="state_known"
        ),
        CheckConstraint("window_days BETWEEN 1 AND 90", name="window_days_range"),
        CheckConstraint("window_unit IN ('calendar', 'working')", name="window_unit_known"),
        CheckConstraint("cap_total_cents >= 0 AND cap_other_cents >= 0", name="caps_not_negative"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_start"),
        CheckConstraint("end_choice IN ('return', 'delete')", name="end_choice_known"),
        # An agreement in force by signatures carries both; an amendment accepted by acceptance or silence has none
        # of its own (its record names the signatures of the agreement it amends).
        CheckConstraint(
            "concluded_by != 'signatures' OR state NOT IN ('signed', 'superseded') OR (client_signed_at IS NOT NULL "
            "AND processor_signed_at IS NOT NULL)",
            name="signed_by_both",
        ),
        CheckConstraint(
            "concluded_by IN ('signatures', 'acceptance', 'silence', 'outside')", name="concluded_by_known"
        ),
        # Only an amendment of the terms is concluded by acceptance or silence, and it names what it amends.
        CheckConstraint(
            "concluded_by IN ('signatures', 'outside') OR amended_from_id IS NOT NULL", name="acceptance_amends"
        ),
        # An agreement signed outside the app is imported signed, with its day and its PDF; only it may rest on
        # terms that are not in the app.
        CheckConstraint(
            "concluded_by != 'outside' OR (state != 'draft' AND signed_on IS NOT NULL AND signed_sha256 IS NOT NULL)",
            name="outside_signed",
        ),
        CheckConstraint("terms_version_id IS NOT NULL OR concluded_by = 'outside'", name="terms_in_app"),
        Index("ix_agreements_client_state", "client_id", "state"),
        Index("ix_agreements_state_id", "state", "id"),  # a page of one state's agreements, newest first
        # One agreement in force per client: two countersignatures at once must not leave two signed.
        Index(
            "uq_agreements_one_signed_per_client",
            "client_id",
            unique=True,
            sqlite_where=text("state = 'signed'"),
            postgresql_where=text("state = 'signed'"),
        ),
    )

    #: Whose data this is (see scoping.py).
    client_scope = "client_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    #: None only for an agreement signed outside the app on terms the app does not hold.
    terms_version_id: Mapped[int | None] = mapped_column(ForeignKey("terms_versions.id"), index=True)
    state: Mapped[str] = mapped_column(String(12), default=AgreementState.DRAFT.value, index=True)

    # The particulars (Annex II).
    subject_matter: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date | None]
    #: None: for the term of the service agreement.
    ends_on: Mapped[date | None]
    nature_purpose: Mapped[str] = mapped_column(Text, default="")
    #: Codes from catalogue.DATA_CATEGORIES.
    data_types: Mapped[list] = mapped_column(JSON, default=list)
    data_types_detail: Mapped[str] = mapped_column(Text, default="")
    #: Codes from catalogue.SUBJECT_CATEGORIES.
    data_subjects: Mapped[list] = mapped_column(JSON, default=list)
    data_subjects_detail: Mapped[str] = mapped_column(Text, default="")
    special_categories: Mapped[bool] = mapped_column(default=False)
    #: "return" or "delete": what happens to the data at the end, as the controller chose.
    end_choice: Mapped[str] = mapped_column(String(10), default="delete")
    window_days: Mapped[int] = mapped_column(default=7)
    window_unit: Mapped[str] = mapped_column(String(10), default="calendar")
    cap_total_cents: Mapped[int] = mapped_column(default=250_000)
    cap_other_cents: Mapped[int] = mapped_column(default=100_000)
    #: Annex III, technical and organisational measures, one per line.
    toms: Mapped[str] = mapped_column(Text, default="")
    #: Annex II, how long the personal data are kept (empty: for the term of the agreement, then article 15).
    retention: Mapped[str] = mapped_column(Text, default="")
    #: French and English versions of the free texts a client reads, {"fr": {"subject_matter": ...}, "en": {...}};
    #: a text without one is shown in Dutch, marked as such.
    translations: Mapped[dict | None] = mapped_column(JSON)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The whole document as sent (parties, rendered articles, annexes); frozen from then on.
    snapshot: Mapped[dict | None] = deferred(mapped_column(JSON))
    #: SHA-256 of the agreement body PDF rendered from the snapshot: what both parties sign.
    body_sha256: Mapped[str | None] = mapped_column(String(64))

    client_signer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    client_signer_name: Mapped[str | None] = mapped_column(String(200))
    client_signer_role: Mapped[str | None] = mapped_column(String(200))
    client_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: How the client's signer was authenticated and from where: {"method", "ip", "browser"} (web.signed_from).
    client_signed_from: Mapped[dict | None] = mapped_column(JSON)
    #: The agreement PDF as the client signed it in a PDF tool with a qualified certificate (qualified.py), when
    #: the client signed so; the countersignature seals this file, keeping the client's signature valid.
    client_signed_pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    processor_signer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    processor_signer_name: Mapped[str | None] = mapped_column(String(200))
    processor_signer_role: Mapped[str | None] = mapped_column(String(200))
    processor_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processor_signed_from: Mapped[dict | None] = mapped_column(JSON)
    #: The signed PDF, stored once and never regenerated.
    signed_pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    signed_sha256: Mapped[str | None] = mapped_column(String(64))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The agreement this one replaced when the client accepted an amendment of the terms (None: signed anew).
    amended_from_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"))
    #: When the amendment was accepted, explicitly or by silence.
    amended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: How the agreement came about: "signatures" (both parties signed it in the app), "outside" (signed outside
    #: the app and imported with its signed PDF), or, for an amendment of the terms, "acceptance" (a user of the
    #: client accepted it) or "silence" (no objection within the window).
    concluded_by: Mapped[str] = mapped_column(String(12), default="signatures")
    #: The day an agreement signed outside the app was signed (as the manager who imported it declared).
    signed_on: Mapped[date | None]
    #: When it took effect: the countersignature, or for an amendment the later of its acceptance and the
    #: new version's effective date (the amended agreement ends at the same instant).
    effective_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    client = relationship("Client", back_populates="agreements")

    @property
    def client_signed_pdf_certificates(self) -> list[dict]:
        """The certificates of a signature given as a PDF signed with a qualified certificate ([] otherwise)."""
        given = self.client_signed_from or {}
        return list(given.get("certificates") or []) if given.get("method") == "qualified_pdf" else []

    amended_from = relationship("Agreement", remote_side="Agreement.id")
    terms_version = relationship("TermsVersion")
    services = relationship("Service", secondary=agreement_services, order_by="Service.name")

    def __repr__(self) -> str:
        return f"<Agreement {self.id} client={self.client_id} {self.state}>"

    @property
    def signed_outside(self) -> bool:
        return self.concluded_by == "outside"

    @property
    def state_enum(self) -> AgreementState:
        return AgreementState(self.state)

    @property
    def awaiting_countersignature(self) -> bool:
        return self.state == AgreementState.SENT and self.client_signed_at is not None
