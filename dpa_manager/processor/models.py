"""The processor's profile and the services it offers."""

from sqlalchemy import JSON, CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model


class ProcessorProfile(Model):
    """The one processor this instance serves."""

    __tablename__ = "processor_profile"
    __table_args__ = (
        CheckConstraint("default_window_days BETWEEN 1 AND 90", name="window_days_range"),
        CheckConstraint("default_window_unit IN ('calendar', 'working')", name="window_unit_known"),
        CheckConstraint("cap_total_cents >= 0 AND cap_other_cents >= 0", name="caps_not_negative"),
        CheckConstraint("breach_notice_hours BETWEEN 1 AND 72", name="breach_notice_hours_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Ten digits, shown as 0427.073.974.
    enterprise_number: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(Text)
    dpo_email: Mapped[str] = mapped_column(String(320))
    #: The processor's contact person for the agreements (Annex I): name and position.
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_role: Mapped[str] = mapped_column(String(200), default="")
    #: Hours within which the processor tells a client of a personal-data breach (the terms' article).
    breach_notice_hours: Mapped[int] = mapped_column(default=48)
    governing_law: Mapped[str] = mapped_column(String(200), default="het Belgisch recht")
    competent_court: Mapped[str] = mapped_column(String(300))
    #: The objection window that new agreements start from.
    default_window_days: Mapped[int] = mapped_column(default=7)
    default_window_unit: Mapped[str] = mapped_column(String(10), default="calendar")
    #: Liability caps that new agreements start from, in euro cents.
    cap_total_cents: Mapped[int] = mapped_column(default=250_000)
    cap_other_cents: Mapped[int] = mapped_column(default=100_000)

    def __repr__(self) -> str:
        return f"<ProcessorProfile {self.name}>"


class Service(Model):
    """A service the processor runs for clients, such as customer service."""

    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Short stable code, used by the API and sub-processor scoping.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    #: The name in French and English, {"fr": ..., "en": ...}; Dutch, marked, where missing.
    translations: Mapped[dict | None] = mapped_column(JSON)

    def __repr__(self) -> str:
        return f"<Service {self.code}>"
