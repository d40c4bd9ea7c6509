"""Amendments of the terms: announced to every client with a signed agreement on an older version.

Each client gets a notice with its own window (by default 3 working days after it was told, silence
being acceptance). On acceptance, explicit or by silence, its agreement moves to the new version: a new
signed agreement replaces the old one, which is kept with its PDF. An objection waits in the
managers' queue like an objection to a sub-processor.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time
from types import SimpleNamespace

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select, update

from .. import audit
from ..agreements.document import placeholder_values
from ..agreements.models import Agreement
from ..agreements.services import adopt_version
from ..bulk import claim_batch
from ..clients.models import Client
from ..clock import today_in_brussels
from ..errors import Conflict, Invalid
from ..extensions import db, rowcount
from ..i18n import force_locale
from ..notices.models import Notice
from ..notices.services import create_notices, queue_mails
from ..processor.services import get_profile
from ..rules import AMENDMENT_CLAUSE, BRUSSELS, NoticeState, window_error
from ..terms.compare import compare
from ..terms.models import TermsArticle, TermsVersion
from ..terms.text import fill
from .models import Amendment

#: The window of an amendment unless the manager sets another: 3 working days.
DEFAULT_WINDOW = (3, "working")
#: Notices whose acceptance is applied per transaction.
BATCH = 500
ACCEPTED = (NoticeState.APPROVED.value, NoticeState.DEEMED_APPROVED.value)


def amendment_of(version: TermsVersion) -> Amendment | None:
    return db.session.scalar(select(Amendment).where(Amendment.version_id == version.id))


def amendment_notices(amendment: Amendment) -> Sequence[int]:

    return db.session.scalars(select(Notice.id).where(Notice.amendment_id == amendment.id)).all()


def amendment_counts(amendment: Amendment) -> dict[str, int]:
    """Return the number of the amendment's notices per state."""

    return dict(
        db.session.execute(
            select(Notice.state, func.count()).where(Notice.amendment_id == amendment.id).group_by(Notice.state)
        ).all()
    )


def _with_amendment_clause():
    """Condition: the agreement's terms version has an article that allows amendment by notice and silence."""
    versions = {
        version_id
        for version_id, covers in db.session.execute(select(TermsArticle.version_id, TermsArticle.covers))
        if AMENDMENT_CLAUSE in (covers or [])
    }  # a handful of versions: read in Python, JSON-agnostic
    return Agreement.terms_version_id.in_(sorted(versions))


def agreements_to_amend(version: TermsVersion):
    """Return (agreement id, client id, language) of every signed agreement that an announcement can amend.

    Those concluded in the app on another version than `version` whose own terms contain an amendment clause; the
    others can only be signed anew (see agreements_to_sign_anew). One signed outside the app is not amended: the
    amendment record would have to name signatures the app does not hold.
    """
    return db.session.execute(
        select(Agreement.id, Agreement.client_id, Client.language)
        .join(Client, Client.id == Agreement.client_id)
        .where(
            Agreement.state == "signed",
            Agreement.concluded_by != "outside",
            Agreement.terms_version_id != version.id,
            _with_amendment_clause(),
        )
        .order_by(Agreement.id)
    ).all()


def agreements_to_sign_anew(version: TermsVersion) -> int:
    """Count the signed agreements on another version (or on terms the app does not hold) that no announcement can
    amend: their terms have no amendment clause, or they were signed outside the app."""
    return db.session.execute(
        select(func.count())
        .select_from(Agreement)
        .where(
            Agreement.state == "signed",
            or_(Agreement.terms_version_id.is_(None), Agreement.terms_version_id != version.id),
            or_(Agreement.concluded_by == "outside", ~_with_amendment_clause()),
        )
    ).scalar_one()


def announce(
    version: TermsVersion,
    *,
    summary: str,
    window_days: int = DEFAULT_WINDOW[0],
    window_unit: str = DEFAULT_WINDOW[1],
    actor,
    now: datetime,
) -> Amendment:
    """Announce a published version to every client on an older one: a notice and an e-mail each."""
    if not version.is_published:
        raise Conflict(_("Alleen een gepubliceerde versie kan aangekondigd worden."))
    if amendment_of(version) is not None:
        raise Conflict(_("Deze versie is al aangekondigd."))
    error = window_error(window_days, window_unit)
    if error:
        raise Invalid(_(error), "window_days")
    summary = (summary or "").strip()
    if len(summary) > 5000:
        raise Invalid(_("De toelichting is te lang (hoogstens 5000 tekens)."), "summary")
    amendment = Amendment(
        version_id=version.id,
        summary=summary,
        window_days=window_days,
        window_unit=window_unit,
        announced_at=now,
        announced_by_id=getattr(actor, "id", None),
    )
    db.session.add(amendment)
    db.session.flush()
    affected = agreements_to_amend(version)
    created = create_notices(
        [
            {
                "amendment_id": amendment.id,
                "agreement_id": agreement_id,
                "client_id": client_id,
                "needs_approval": True,
                "state": NoticeState.AWAITING_DELIVERY.value,
                "window_days": window_days,
                "window_unit": window_unit,
                "created_at": now,
            }
            for agreement_id, client_id, _ in affected
        ]
    )
    languages = {client_id: language for _, client_id, language in affected}
    queue_mails(created, key="notice", template="amendment", now=now, languages=languages)
    audit.record(
        at=now,
        actor=actor,
        object_type="terms",
        object_id=version.id,
        action="amendment_announced",
        after={"amendment": amendment.id, "notices": len(created), "window": f"{window_days} {window_unit}"},
    )
    return amendment


def comparison_language(notice, language: str) -> str:
    """Return the language the comparison can be read in: `language` if both versions are translated, else Dutch."""
    old, new = notice.agreement.terms_version, notice.amendment.version
    return language if old.translated_into(language) and new.translated_into(language) else "nl"


def changes_for(notice, language: str = "nl"):
    """Return the article-by-article comparison between the notice's agreement's version and the new one.

    The articles are compared as this client reads them (placeholders filled in), in `language` when both
    versions exist in it (see comparison_language), else in Dutch.
    """

    agreement, profile = notice.agreement, get_profile()
    language = comparison_language(notice, language)

    def as_read(version):
        with force_locale(language):
            values = placeholder_values(agreement, agreement.client, profile, version, language)
        articles = []
        for article in version.articles:
            title, body, _translated = article.text_in(language)
            articles.append(SimpleNamespace(number=article.number, title=fill(title, values), body=fill(body, values)))
        return articles

    return compare(as_read(agreement.terms_version), as_read(notice.amendment.version))


def takes_effect_at(accepted_at: datetime, effective_on) -> datetime:
    """Return when an accepted amendment takes effect: its acceptance, but not before the version's effective date."""
    start = datetime.combine(effective_on, time(0), tzinfo=BRUSSELS).astimezone(UTC)
    return max(accepted_at, start)


def apply_accepted_batch(now: datetime, *, notice_id: int | None = None) -> int:
    """Move one batch of agreements whose amendment was accepted to the new version once it is in effect; return
    how many notices were applied (0: none left). Idempotent (the job, each batch).

    The amended agreement ends, and the new one begins, at the same instant (takes_effect_at): no gap and no
    overlap. With `notice_id`, only that notice (an explicit acceptance, applied in the caller's transaction
    if the version is already in effect).
    """
    in_effect = (
        select(Amendment.id)
        .join(TermsVersion, TermsVersion.id == Amendment.version_id)
        .where(TermsVersion.effective_on <= today_in_brussels(now))
    )
    due = and_(
        Notice.amendment_id.is_not(None),
        Notice.applied_at.is_(None),
        Notice.state.in_(ACCEPTED),
        Notice.amendment_id.in_(in_effect),
    )
    where = [due] if notice_id is None else [due, Notice.id == notice_id]
    moved = [nid for (nid,) in claim_batch(Notice, where, [Notice.id], {"applied_at": now}, [Notice.id], BATCH)]
    for nid in moved:
        notice = db.session.get_one(Notice, nid)
        version = notice.amendment.version
        assert notice.decided_at is not None  # an accepted notice was decided (explicitly or by the sweep)
        at = takes_effect_at(notice.decided_at, version.effective_on)
        target = in_force_descendant(notice.agreement)
        new = adopt_version(target, version, notice=notice, at=at, now=now) if target is not None else None
        if new is not None:
            db.session.execute(
                update(Notice)
                .where(Notice.id == nid)
                .values(amended_agreement_id=new.id)
                .execution_options(synchronize_session=False)
            )
            audit.record(
                at=now,
                actor=None,
                object_type="notice",
                object_id=nid,
                client_id=notice.client_id,
                action="applied",
                after={"agreement": new.id, "takes_effect": at.isoformat()},
            )
        else:  # the agreement ended, or is already on this version: nothing to amend, and the trail says so
            audit.record(
                at=now,
                actor=None,
                object_type="notice",
                object_id=nid,
                client_id=notice.client_id,
                action="not_applied",
                after={"why": "no agreement in force on an older version"},
            )
    return len(moved)


def in_force_descendant(agreement: Agreement | None) -> Agreement | None:
    """Return the client's agreement in force that `agreement` became by accepted amendments (itself if in force)."""
    seen = 0
    while agreement is not None and agreement.state != "signed" and seen < 100:
        agreement = db.session.scalar(
            select(Agreement)
            .where(Agreement.amended_from_id == agreement.id, Agreement.state.in_(("signed", "superseded")))
            .order_by(Agreement.id.desc())
        )
        seen += 1
    return agreement if agreement is not None and agreement.state == "signed" else None


def revert_accepted(notice, *, actor, now: datetime) -> None:
    """Undo a deemed acceptance: the agreement it made is annulled and the amended one is in force again.

    For an objection that was received before the window closed and recorded after the sweep applied
    the amendment.
    """
    new = db.session.get(Agreement, notice.amended_agreement_id) if notice.amended_agreement_id else None
    if new is None or new.state != "signed" or new.amended_from_id != notice.agreement_id:
        raise Conflict(
            _(
                "De overeenkomst die deze aanvaarding opleverde, is intussen vervangen of beëindigd; "
                "het bezwaar kan haar niet meer ongedaan maken. Los het met de klant op."
            )
        )
    annulled = db.session.execute(
        update(Agreement)
        .where(Agreement.id == new.id, Agreement.state == "signed")
        .values(state="annulled", ended_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    restored = db.session.execute(
        update(Agreement)
        .where(Agreement.id == notice.agreement_id, Agreement.state == "superseded")
        .values(state="signed", ended_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if rowcount(annulled) != 1 or rowcount(restored) != 1:
        raise Conflict(_("De overeenkomst werd intussen gewijzigd; laad de pagina opnieuw."))
    db.session.expire_all()
    audit.record(
        at=now,
        actor=actor,
        object_type="agreement",
        object_id=new.id,
        client_id=notice.client_id,
        action="annulled",
        before={"state": "signed"},
        after={"state": "annulled", "notice": notice.id, "why": "objection received in time"},
    )
    audit.record(
        at=now,
        actor=actor,
        object_type="agreement",
        object_id=notice.agreement_id,
        client_id=notice.client_id,
        action="reinstated",
        before={"state": "superseded"},
        after={"state": "signed", "notice": notice.id},
    )
