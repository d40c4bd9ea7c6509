"""Versions of the processor's standard terms, as numbered articles."""

import enum
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db_types import UTCDateTime
from ..extensions import Model


class TermsState(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class TermsVersion(Model):
    __tablename__ = "terms_versions"
    __table_args__ = (CheckConstraint("state IN ('draft', 'published')", name="state_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The version's name, e.g. "2020-10".
    label: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2), default="nl")
    effective_on: Mapped[date]
    #: A published version is frozen: agreements refer to it and it never changes again.
    state: Mapped[str] = mapped_column(String(12), default=TermsState.DRAFT.value)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The title in French and English, {"fr": ..., "en": ...}; the Dutch title prevails.
    title_translations: Mapped[dict | None] = mapped_column(JSON)

    articles = relationship(
        "TermsArticle",
        back_populates="version",
        order_by="TermsArticle.number",
        cascade="all, delete-orphan",
    )

    def __repr__(self) -> str:
        return f"<TermsVersion {self.label} {self.state}>"

    @property
    def is_published(self) -> bool:
        return self.state == TermsState.PUBLISHED

    def title_in(self, language: str) -> str:
        """Return the title in `language`, or the Dutch one."""
        return (self.title_translations or {}).get(language) or self.title

    def stale_translations(self, language: str) -> list[int]:
        """The numbers of the articles whose translation into `language` is out of date."""
        return [a.number for a in self.articles if a.translation_stale(language)]

    def translated_into(self, language: str) -> bool:
        """Return whether every article has a translation into `language` (Dutch always)."""
        return language == "nl" or all(a.text_in(language)[2] for a in self.articles)

    @property
    def amendment_article(self) -> "TermsArticle | None":
        """Return the article that lets these terms be amended by notice and silence, or None."""
        return next((a for a in self.articles if "amendments" in (a.covers or [])), None)

    @property
    def covered(self) -> set[str]:
        """Return the checklist keys that the articles cover."""
        return {key for article in self.articles for key in article.covers or []}


class TermsArticle(Model):
    __tablename__ = "terms_articles"
    __table_args__ = (UniqueConstraint("version_id", "number", name="uq_terms_articles_version_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("terms_versions.id"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    #: Text with {placeholders} for the particulars; blank lines part paragraphs, "- " starts a bullet.
    body: Mapped[str] = mapped_column(Text)
    #: The Art. 28(3) checklist keys this article covers.
    covers: Mapped[list] = mapped_column(JSON, default=list)
    #: Translations of the Dutch original, {"fr": {"title": ..., "body": ...}, "en": {...}}; the Dutch text prevails.
    translations: Mapped[dict | None] = mapped_column(JSON)

    version = relationship("TermsVersion", back_populates="articles")

    def __repr__(self) -> str:
        return f"<TermsArticle {self.version_id}:{self.number}>"

    def translation_stale(self, language: str) -> bool:
        """Whether the translation into `language` renders an earlier Dutch text than the article's: the Dutch
        article changed after it, and it was not brought up to date (terms.text.translation_source)."""
        from .text import source_of  # the models hold data; the rule is in the text module

        translation = (self.translations or {}).get(language) or {}
        source = translation.get("source")
        return bool(source) and source != source_of(self.title, self.body)

    def text_in(self, language: str) -> tuple[str, str, bool]:
        """Return (title, body, translated) in `language`, or the Dutch original when no translation exists."""
        translation = (self.translations or {}).get(language)
        if language != "nl" and translation and translation.get("body"):
            return translation.get("title") or self.title, translation["body"], True
        return self.title, self.body, False
