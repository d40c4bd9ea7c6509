"""Feeds: a client's Atom feed and deadline calendar (by secret link), its feed settings, and the
public register of sub-processors with its Atom feed."""

from datetime import UTC, datetime

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import anchors, clock, pdf, seal
from ..clients.models import Client
from ..errors import ServiceError
from ..extensions import csrf
from ..formatting import format_date, format_datetime_seconds, localize
from ..i18n import current as current_language
from ..i18n import force_locale, normalise
from ..labels import CHANGE_TITLES, TRANSFERS
from ..links import absolute
from ..mail import ics
from ..mail.strings import closing_text
from ..processor.services import get_profile, required_profile
from ..rules import NoticeState
from ..subprocessors import subscribers
from ..web import ConfirmForm, client_required, flash_form_errors, or_404, public, show_error
from . import bp, services
from .atom import Entry, feed
from .forms import SubscribeForm

EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def _client_for(token: str) -> Client:
    client = services.client_by_feed_token(token, days=current_app.config["FEED_TOKEN_DAYS"], now=clock.now())
    if client is None:
        abort(404)
    return client


def _feed_response(body: bytes, mimetype: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"})


@bp.route("/feeds/<token>/subprocessors.atom")
@public
def client_atom(token: str):
    """Changes to this client's list of sub-processors, as Atom, in the client's language."""
    client = _client_for(token)
    notices = services.change_notices(client.id)
    entries = []
    with force_locale(normalise(client.language)):
        for n in notices:
            sp, change = n.change.subprocessor, n.change
            when = max(t for t in (n.created_at, n.notified_at, n.decided_at, n.applied_at, n.resolved_at) if t)
            state = _(NoticeState(n.state).label).lower()  # the same texts as the state badges
            closes = (
                " "
                + _(
                    "Bezwaar mogelijk tot %(moment)s (Brussel).",
                    moment=clock.as_brussels(n.closes_at).strftime("%d/%m/%Y %H:%M"),
                )
                if n.state == "open" and n.closes_at is not None
                else ""
            )
            entries.append(
                Entry(
                    id=absolute(f"/portal/notices/{n.id}"),
                    title=_(
                        "%(kind)s: %(name)s (%(state)s)", kind=CHANGE_TITLES[change.kind], name=sp.name, state=state
                    ),
                    updated=when,
                    link=absolute(f"/portal/notices/{n.id}"),
                    summary=_(
                        "%(name)s — %(purpose)s. Locaties: %(countries)s. Reden: %(reason)s. Geplande ingang: %(day)s.",
                        name=sp.name,
                        purpose=localize(sp, "purpose"),
                        countries=", ".join(sp.countries),
                        reason=localize(change, "reason"),
                        day=change.effective_on.strftime("%d/%m/%Y"),
                    )
                    + closes,
                )
            )
        title = _("Subverwerkers van %(name)s", name=client.name)
    body = feed(
        id=absolute(f"/feeds/{client.id}/subprocessors"),
        title=title,
        link=absolute("/portal/subprocessors"),
        self_link=absolute(f"/feeds/{token}/subprocessors.atom"),
        author=required_profile().name,
        entries=entries,
        updated=client.created_at,
    )
    return _feed_response(body, "application/atom+xml")


@bp.route("/feeds/<token>/deadlines.ics")
@public
def client_calendar(token: str):
    """The closing times of this client's open notices, as iCalendar, in the client's language."""
    client = _client_for(token)
    now = clock.now()
    notices = services.open_notices(client.id)
    with force_locale(normalise(client.language)):
        events = [
            dict(
                uid=f"notice-{n.id}@dpa-manager",
                stamp=now,
                closes_at=n.closes_at,  # open: the window has started
                url=absolute(f"/portal/notices/{n.id}"),
                summary=n.about.text("ics_summary", n),
                description=_("Bezwaar maken kan %(closing)s.", closing=closing_text(n.closes_at)),
            )
            for n in notices
            if n.closes_at is not None  # open notices all have one
        ]
        name = _("Bezwaartermijnen %(name)s", name=client.name)
    body = ics.calendar(events, name=name)
    return _feed_response(body, "text/calendar")


@bp.route("/portal/feeds", methods=["GET", "POST"])
@client_required
def portal_feeds():
    """The client's feed addresses, and replacing their secret."""
    client = current_user.client
    form = ConfirmForm()
    if form.validate_on_submit():
        services.rotate_feed_token(client, actor=current_user, now=clock.now())
        flash(_("Nieuwe feedadressen aangemaakt; de oude werken niet meer."), "success")
        return redirect(url_for("feeds.portal_feeds"))
    urls = {
        "atom": absolute(f"/feeds/{client.feed_token}/subprocessors.atom"),
        "ics": absolute(f"/feeds/{client.feed_token}/deadlines.ics"),
    }
    expires = client.feed_expires_at(current_app.config["FEED_TOKEN_DAYS"])
    page = render_template("feeds/portal.html", urls=urls, form=form, expires=expires, now=clock.now())
    return page, 200, {"Cache-Control": "no-store"}


# --- The public register ---------------------------------------------------------------------------


@bp.route("/subverwerkers")
@public
def public_register():
    """The processor's sub-processors in use, and their history; no client data."""
    return render_template(
        "feeds/public.html",
        active=services.register_in_use(),
        history=services.register_history(),
        changes=services.announced_changes(),
        processor=get_profile(),
        kinds=CHANGE_TITLES,
        seal=_seal_or_none(),
        anchor=anchors.latest(),
        subscribe=SubscribeForm(formdata=None),
    )


@bp.route("/subverwerkers/abonneren", methods=["POST"])
@public
def subscribe():
    """Ask for an e-mail at each change: a confirmation goes to the address (double opt-in). The answer is the
    same whether or not the address was subscribed already."""
    form = SubscribeForm()
    if form.validate_on_submit():
        try:
            subscribers.subscribe(form.email.data, language=current_language(), now=clock.now())
        except ServiceError as error:
            show_error(error)
        else:
            flash(
                _(
                    "Als %(email)s nog niet ingeschreven is, krijgt het een e-mail met een link om de inschrijving "
                    "te bevestigen (7 dagen geldig; hoogstens één e-mail per uur). Zonder bevestiging krijgt u geen "
                    "berichten.",
                    email=form.email.data.strip(),
                ),
                "success",
            )
    else:
        flash_form_errors(form)
    return redirect(url_for("feeds.public_register", _anchor="abonneren"))


@bp.route("/subverwerkers/abonneren/<token>", methods=["GET", "POST"])
@public
def confirm_subscription(token: str):
    """The link of the confirmation e-mail: a GET only offers a button (mail scanners fetch links), the POST
    confirms."""
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            subscribers.confirm(token, now=clock.now())
        except ServiceError as error:
            show_error(error)
            return redirect(url_for("feeds.public_register"))
        flash(_("Uw inschrijving is bevestigd: u krijgt een e-mail bij elke aangekondigde wijziging."), "success")
        return redirect(url_for("feeds.public_register"))
    return render_template("feeds/subscription.html", form=form, confirming=True, processor=get_profile())


@bp.route("/subverwerkers/uitschrijven/<token>", methods=["GET", "POST"])
@public
def unsubscribe(token: str):
    """Leave the subscription: the link in each e-mail (a GET offers a button) and the one-click POST a mail
    program sends (List-Unsubscribe-Post, RFC 8058), which carries no form token."""
    subscriber = subscribers.subscriber_of(token)
    if subscriber is None:
        return render_template(
            "error.html", code=404, title=_("Link niet bruikbaar"), text=_("Deze link is ongeldig.")
        ), 404
    if request.method == "POST":
        subscribers.unsubscribe(subscriber, now=clock.now())
        return render_template("feeds/subscription.html", left=True, processor=get_profile())
    return render_template("feeds/subscription.html", form=ConfirmForm(), leaving=True, processor=get_profile())


csrf.exempt(unsubscribe)


@bp.route("/subverwerkers.pdf")
@public
def public_register_pdf():
    """The sub-processors in use, as the public page lists them, as a PDF in the reader's language."""
    processor = required_profile()
    transfers = {mechanism: str(words) for mechanism, words in TRANSFERS.items()}
    data = pdf.render_list(
        title=_("Subverwerkers van %(processor)s", processor=processor.name),
        intro=[
            _(
                "De subverwerkers die %(processor)s inzet voor de verwerking van persoonsgegevens in opdracht van "
                "haar klanten. Welke voor een klant gelden, hangt af van de afgenomen diensten.",
                processor=processor.name,
            ),
            _("Opgemaakt op %(moment)s.", moment=format_datetime_seconds(clock.now())),
        ],
        header=[_("Subverwerker"), _("Dienst"), _("Locaties"), _("Doorgifte"), _("In gebruik sinds")],
        rows=[
            [
                sp.name + (f" ({_('incidenteel')})" if sp.kind == "incidental" else ""),
                localize(sp, "purpose"),
                ", ".join(sp.countries or []),
                transfers.get(sp.transfer_mechanism) or transfers[None],
                format_date(sp.activated_on),
            ]
            for sp in services.register_in_use()
        ],
        widths=[0.24, 0.28, 0.12, 0.2, 0.16],
        language=current_language(),
        footer=f"{processor.name} — {absolute(url_for('feeds.public_register'))}",
        author=processor.name,
        empty=_("Geen subverwerkers in gebruik."),
    )
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="subverwerkers.pdf"'},
    )


def _seal_or_none():
    """The seal, for its fingerprint; None when it cannot be loaded (the page then leaves it out)."""
    try:
        return seal.current()
    except seal.SealMisconfigured:
        current_app.logger.exception("the seal cannot be loaded")
        return None


@bp.route("/subverwerkers/anker-<id:seq>.tsr")
@public
def anchor_token(seq: int):
    """The timestamp token of an anchor of the audit trail, as a TimeStampResp (`openssl ts -verify -in`)."""
    anchor = or_404(anchors.of_event(seq))
    return Response(
        anchor.response_der(),
        mimetype="application/timestamp-reply",
        headers={"Content-Disposition": f'attachment; filename="audittrail-anker-{seq}.tsr"'},
    )


@bp.route("/subverwerkers.atom")
@public
def public_atom():
    """The processor's announced changes to its sub-processors, as Atom; no client data."""
    profile = required_profile()
    entries = [
        Entry(
            id=absolute(f"/subverwerkers#wijziging-{c.id}"),
            title=_("%(kind)s: %(name)s", kind=CHANGE_TITLES[c.kind], name=c.subprocessor.name),
            updated=c.announced_at,
            link=absolute(f"/subverwerkers#wijziging-{c.id}"),
            summary=_(
                "%(name)s — %(purpose)s. Locaties: %(countries)s. Geplande ingang: %(day)s.",
                name=c.subprocessor.name,
                purpose=c.subprocessor.purpose,
                countries=", ".join(c.subprocessor.countries),
                day=c.effective_on.strftime("%d/%m/%Y"),
            )
            + (" " + _("Vervangt %(name)s.", name=c.replaces.name) if c.replaces else ""),
        )
        for c in services.announced_changes()
    ]
    body = feed(
        id=absolute("/subverwerkers"),
        title=_("Subverwerkers van %(name)s", name=profile.name),
        link=absolute("/subverwerkers"),
        self_link=absolute("/subverwerkers.atom"),
        author=profile.name,
        entries=entries,
        updated=EPOCH,
    )
    return _feed_response(body, "application/atom+xml")
