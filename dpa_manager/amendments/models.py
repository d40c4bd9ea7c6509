"""Amendments of the terms: a published version announced to the clients on older ones."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db_types import UTCDateTime
from ..extensions import Model


class Amendment(Model):
    """A published terms version announced to every client whose signed agreement is on an older one.

    Each client gets a notice with its own window (3 working days by default); acceptance, by answer or
    by silence, moves the client's agreement to this version.
    """

    __tablename__ = "amendments"
    __table_args__ = (
        CheckConstraint("window_days BETWEEN 1 AND 90", name="window_days_range"),
        CheckConstraint("window_unit IN ('calendar', 'working')", name="window_unit_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The new version; announced once.
    version_id: Mapped[int] = mapped_column(ForeignKey("terms_versions.id"), unique=True)
    #: The manager's explanation of what changes and why, shown above the comparison.
    summary: Mapped[str] = mapped_column(Text, default="")
    window_days: Mapped[int] = mapped_column(default=3)
    window_unit: Mapped[str] = mapped_column(String(10), default="working")
    announced_at: Mapped[datetime] = mapped_column(UTCDateTime)
    announced_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    version = relationship("TermsVersion")

    def __repr__(self) -> str:
        return f"<Amendment {self.id} version={self.version_id}>"
