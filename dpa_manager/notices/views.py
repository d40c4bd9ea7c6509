"""Notice pages for managers (dashboard, list, one notice, recorded answers, proofs, evidence file),
the outbox and its re-queue, and the signed e-mail link to one notice."""

import io
from datetime import UTC, datetime

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from .. import audit, clock, seal, tables
from ..errors import Invalid, ServiceError
from ..extensions import db
from ..i18n import current as current_language
from ..labels import BOUNCE_KINDS
from ..links import link_used, notice_from_token, notice_named, use_link
from ..mail import outbox as outbox_messages
from ..mail.bounces import bounces_of
from ..mail.models import MailBounce, OutboxMessage
from ..mail.outbox import recipient_answers
from ..pdf import render_evidence
from ..processor.services import get_profile
from ..rules import NoticeState, OutboxState, time_left
from ..tables import Column
from ..web import ConfirmForm, is_id, manager_required, or_404, page_arg, public, show_error, user_required
from . import bp
from . import evidence as evidence_file
from .bounces import resend
from .forms import RESOLUTION_LABELS, RecordAnswerForm, ResolveForm
from .messages import notice_facts
from .models import Notice, NoticeProof
from .services import (
    Proof,
    get_notice,
    notice_page,
    notices_select,
    record_answer,
    requeue,
    resolve,
)


@bp.route("/notices/")
@manager_required
def index():
    state = request.args.get("state") if request.args.get("state") in {s.value for s in NoticeState} else None
    amendment_id = request.args.get("amendment_id", type=int)
    amendment_id = amendment_id if is_id(amendment_id) else None
    query = request.args.get("q", "")[:200]
    of = ("amendment", amendment_id) if amendment_id else None
    kind = tables.export_kind()
    if kind:
        stmt = notices_select(current_user, state=state, of=of, query=query)
        return tables.export(kind, "meldingen", EXPORT_COLUMNS, stmt)
    return render_template(
        "notices/index.html",
        state=state,
        states=list(NoticeState),
        amendment_id=amendment_id,
        query=query,
        notices=notice_page(current_user, page_arg(), state=state, of=of, query=query),
    )


#: The notices' columns of an export: the fields of the API, with the client and what the notice is about.
EXPORT_COLUMNS = [
    Column("id", lambda n: n.id),
    Column("client_id", lambda n: n.client_id),
    Column("client", lambda n: n.client.name),
    Column("enterprise_number", lambda n: n.client.enterprise_number_display),
    Column("about", lambda n: n.about.title(n)),
    Column("change_id", lambda n: n.change_id),
    Column("amendment_id", lambda n: n.amendment_id),
    Column("agreement_id", lambda n: n.agreement_id),
    Column("state", lambda n: n.state),
    Column("needs_approval", lambda n: n.needs_approval),
    Column("notified_at", lambda n: n.notified_at, moment=True),
    Column("delivered_at", lambda n: n.delivered_at, moment=True),
    Column("first_opened_at", lambda n: n.first_opened_at, moment=True),
    Column("closes_at", lambda n: n.closes_at, moment=True),
    Column("stated_closes_at", lambda n: n.stated_closes_at, moment=True),
    Column("decided_at", lambda n: n.decided_at, moment=True),
    Column("answer_channel", lambda n: n.answer_channel),
    Column("objection_reason", lambda n: n.objection_reason),
    Column("resolution", lambda n: n.resolution),
    Column("applied_at", lambda n: n.applied_at, moment=True),
]


@bp.route("/notices/<id:notice_id>", methods=["GET", "POST"])
@manager_required
def show(notice_id: int):
    notice = or_404(get_notice(current_user, notice_id))
    form = ResolveForm()
    if form.validate_on_submit():
        try:
            resolve(notice, actor=current_user, resolution=form.resolution.data, note=form.note.data, now=clock.now())
        except ServiceError as error:
            show_error(error, form)
        else:
            flash(_("Het bezwaar is afgehandeld; de klant krijgt bericht."), "success")
            return redirect(url_for("notices.show", notice_id=notice.id))
    return _show(notice, form=form)


def _show(notice: Notice, *, form=None, answer_form=None):
    mails = outbox_messages.messages_of(notice.id)
    return render_template(
        "notices/show.html",
        notice=notice,
        returned=bounces_of([m.id for m in mails]),
        bounce_kinds=BOUNCE_KINDS,
        confirm=ConfirmForm(formdata=None),
        form=form or ResolveForm(formdata=None),
        resolution_labels=RESOLUTION_LABELS,
        answer_form=answer_form or RecordAnswerForm(formdata=None),
        mails=mails,
        history=audit.history("notice", notice.id),
        now=clock.now(),
        time_left=time_left,
        **notice.about.page(notice, current_language()),
    )


@bp.route("/notices/<id:notice_id>/answer", methods=["POST"])
@manager_required
def record_answer_view(notice_id: int):
    """Record an objection or approval the client sent by e-mail, letter or phone, with its proof."""
    notice = or_404(get_notice(current_user, notice_id))
    form = RecordAnswerForm()
    if form.validate_on_submit():
        proofs = [Proof(f.filename, f.read()) for f in (form.proof.data or []) if f and f.filename]
        try:
            received_at = brussels_moment(form.received_at.data)
            record_answer(
                notice,
                actor=current_user,
                answer=form.answer.data,
                channel=form.channel.data,
                received_at=received_at,
                reason=form.reason.data,
                proofs=proofs,
                now=clock.now(),
            )
        except ServiceError as error:
            show_error(error, form)
        else:
            flash(_("Het antwoord van de klant is geregistreerd; de klant krijgt bericht."), "success")
            return redirect(url_for("notices.show", notice_id=notice.id))
    return _show(notice, answer_form=form), 422


def brussels_moment(local: datetime) -> datetime:
    """Return a Brussels wall-clock time as UTC, or raise Invalid when it does not exist or is ambiguous (DST)."""
    try:
        earlier = local.replace(tzinfo=clock.BRUSSELS, fold=0).astimezone(UTC)
        later = local.replace(tzinfo=clock.BRUSSELS, fold=1).astimezone(UTC)
    except (OverflowError, ValueError):
        raise Invalid(_("Geef een bestaand ogenblik van ontvangst."), "received_at") from None
    if earlier != later:
        raise Invalid(
            _(
                "Dat uur bestaat twee keer of niet in Brussel (overgang naar zomer- of wintertijd); geef "
                "een ander uur, een minuut ervoor of erna."
            ),
            "received_at",
        )
    return earlier


@bp.route("/notices/<id:notice_id>/proofs/<id:proof_id>")
@manager_required
def proof(notice_id: int, proof_id: int):
    """One proof of an answer received outside the app, as it was uploaded."""

    notice = or_404(get_notice(current_user, notice_id))
    item = or_404(
        db.session.scalar(select(NoticeProof).where(NoticeProof.id == proof_id, NoticeProof.notice_id == notice.id))
    )
    response = send_file(
        io.BytesIO(item.data), mimetype=item.content_type, as_attachment=True, download_name=item.filename
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/outbox/")
@manager_required
def outbox():
    state = request.args.get("state") if request.args.get("state") in tuple(OutboxState) else None
    messages = outbox_messages.message_page(page_arg(), state)
    return render_template(
        "notices/outbox.html",
        messages=messages,
        state=state,
        counts=outbox_messages.state_counts(),
        answers=recipient_answers([m.id for m in messages]),
        confirm=ConfirmForm(),
    )


@bp.route("/outbox/requeue", methods=["POST"])
@manager_required
def requeue_view():
    """Put one dead message (message_id) or all of them back in the queue."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("Vink aan om te bevestigen."), "error")
        return redirect(url_for("notices.outbox", state=OutboxState.DEAD.value))
    one = request.form.get("message_id", type=int)
    done = requeue([one] if one and is_id(one) else None, actor=current_user, now=clock.now())
    flash(
        ngettext(
            "%(num)s bericht staat opnieuw in de wachtrij.",
            "%(num)s berichten staan opnieuw in de wachtrij.",
            len(done),
        ),
        "success" if done else "info",
    )
    return redirect(url_for("notices.outbox_message", message_id=one) if one and done else url_for("notices.outbox"))


@bp.route("/outbox/<id:message_id>")
@manager_required
def outbox_message(message_id: int):
    message = or_404(db.session.get(OutboxMessage, message_id))
    acceptances = outbox_messages.acceptances_of(message.id)
    return render_template(
        "notices/outbox_message.html",
        message=message,
        confirm=ConfirmForm(),
        answers=recipient_answers([message.id]).get(message.id, {}),
        acceptances=acceptances,
        returned=bounces_of([message.id]),
        bounce_kinds=BOUNCE_KINDS,
        twice=len({a for x in acceptances for a in x.recipients}) < sum(len(x.recipients) for x in acceptances),
        given_up=outbox_messages.is_given_up(message.id),
    )


@bp.route("/n/<token>", methods=["GET", "POST"])
@public
def signed_link(token: str):
    """Open one notice from an e-mail link without logging in.

    The link expires and works once. A GET only offers a button (mail scanners that fetch
    links spend nothing); the POST spends the link and shows the notice, read-only.
    """
    from flask_login import current_user as user

    headers = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
    notice_id, problem = notice_from_token(token)
    notice = db.session.get(Notice, notice_id) if notice_id else None
    if notice is not None and link_used(token):
        problem, notice = "used", None
    if notice is None:
        return _dead_link(token, problem, headers)
    if user.is_authenticated and not user.is_manager and user.client_id == notice.client_id:
        return redirect(url_for("portal.notice", notice_id=notice.id))
    form = ConfirmForm()
    if request.method == "GET" or not form.validate_on_submit():
        return render_template("portal/notice_link.html", notice=notice, form=form), 200, headers
    now = clock.now()
    if not use_link(token, now):
        return _dead_link(token, "used", headers)
    page = render_template(
        "portal/notice_public.html",
        notice=notice,
        facts=notice_facts(notice, now),
        now=now,
        time_left=time_left(now, notice.closes_at) if notice.closes_at else None,
    )
    return page, 200, headers


def _dead_link(token: str, problem: str | None, headers: dict):
    """A link that no longer opens its notice (used, or expired): a way in through the login, which leads back to
    the notice; a signed-in user of the notice's client goes there at once. A forged link says only that."""
    user = current_user
    notice_id = notice_named(token) if problem in ("used", "expired") else None
    notice = db.session.get(Notice, notice_id) if notice_id else None
    if notice is not None and user.is_authenticated and not user.is_manager and user.client_id == notice.client_id:
        return redirect(url_for("portal.notice", notice_id=notice.id))
    text = {
        "expired": _("Deze link werkte 30 dagen en is verlopen."),
        "used": _("Deze link werkt één keer en werd al gebruikt."),
    }.get(problem or "", _("Deze link is ongeldig."))
    back = url_for("portal.notice", notice_id=notice.id) if notice is not None else url_for("portal.index")
    page = render_template(
        "portal/link_dead.html", text=text, login=url_for("accounts.login", next=back), processor=get_profile()
    )
    return page, 404, headers


@bp.route("/notices/<id:notice_id>/evidence.pdf")
@user_required
def evidence(notice_id: int):
    """The evidence file of one notice, as PDF."""
    from flask import Response

    notice = or_404(get_notice(current_user, notice_id))
    now = clock.now()
    try:
        built = evidence_file.build(notice, now=now)
        data = seal.seal_pdf(
            render_evidence(built),
            reason=_("Bewijsdossier van melding %(number)s, verzegeld door de verwerker", number=notice.id),
            attachments=built["attachments"],
            at=now,
        )
    except ServiceError as error:
        show_error(error)
        back = "notices.show" if current_user.is_manager else "portal.notice"
        return redirect(url_for(back, notice_id=notice.id))
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="bewijsdossier-melding-{notice.id}.pdf"'},
    )


@bp.route("/outbox/bounces/<id:bounce_id>.eml")
@manager_required
def bounce_download(bounce_id: int):
    """The bounce as it came in, byte for byte."""
    bounce = or_404(db.session.get(MailBounce, bounce_id))
    return send_file(
        io.BytesIO(bounce.raw), mimetype="message/rfc822", as_attachment=True, download_name=f"bounce-{bounce.id}.eml"
    )


@bp.route("/notices/<id:notice_id>/resend", methods=["POST"])
@manager_required
def resend_view(notice_id: int):
    """Send a notice that waits for delivery again, to the client's addresses as they are now."""
    notice = or_404(get_notice(current_user, notice_id))
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("Vink aan om te bevestigen."), "error")
        return redirect(url_for("notices.show", notice_id=notice.id))
    try:
        to = resend(notice, actor=current_user, now=clock.now())
    except ServiceError as error:
        show_error(error)
        return redirect(url_for("notices.show", notice_id=notice.id))
    flash(_("De melding wordt opnieuw verstuurd naar %(to)s.", to=", ".join(to)), "success")
    return redirect(url_for("notices.show", notice_id=notice.id))
