"""Clients: the controllers the processor works for."""

import secrets
from datetime import datetime

from sqlalchemy import CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db_types import UTCDateTime
from ..extensions import Model
from ..rules import format_enterprise_number


class Client(Model):
    __tablename__ = "clients"
    __table_args__ = (CheckConstraint("language IN ('nl', 'fr', 'en')", name="language_known"),)

    #: Whose data this is (see scoping.py): a client user sees their own client.
    client_scope = "id"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    #: Ten digits, validated with the mod-97 check; shown as 0427.073.974.
    enterprise_number: Mapped[str] = mapped_column(String(10), unique=True)
    address: Mapped[str] = mapped_column(Text)
    #: The language of everything sent to the client.
    language: Mapped[str] = mapped_column(String(2), default="nl")
    contact_email: Mapped[str] = mapped_column(String(320))
    #: The client's contact person for the agreement (Annex I): name and position; optional.
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_role: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The secret in the client's feed URLs; a client user can replace it.
    feed_token: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: secrets.token_urlsafe(24))

    users = relationship("User", back_populates="client")
    agreements = relationship("Agreement", back_populates="client", order_by="Agreement.id.desc()")

    def __repr__(self) -> str:
        return f"<Client {self.id} {self.name}>"

    @property
    def enterprise_number_display(self) -> str:
        return format_enterprise_number(self.enterprise_number)
