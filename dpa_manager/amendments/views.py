"""A version of the terms as its page shows it, with its amendment, and announcing it; routes of terms.bp."""

from flask import flash, redirect, render_template, url_for
from flask_babel import ngettext
from flask_login import current_user

from .. import clock
from ..errors import ServiceError
from ..extensions import db
from ..rules import CHECKLIST
from ..terms import bp
from ..terms.models import TermsVersion
from ..terms.services import missing_coverage
from ..terms.text import blocks
from ..web import ConfirmForm, flash_form_errors, manager_required, or_404, show_error
from .forms import AmendmentForm
from .services import (
    agreements_to_amend,
    agreements_to_sign_anew,
    amendment_counts,
    amendment_notices,
    amendment_of,
    announce,
)


@bp.route("/<id:version_id>")
@manager_required
def show(version_id: int):
    version = or_404(db.session.get(TermsVersion, version_id))
    amendment = amendment_of(version) if version.is_published else None
    return render_template(
        "terms/show.html",
        version=version,
        blocks=blocks,
        confirm=ConfirmForm(),
        missing=missing_coverage(version.articles),
        checklist=CHECKLIST,
        amendment=amendment,
        amendment_form=AmendmentForm(),
        to_amend=len(agreements_to_amend(version)),
        to_sign_anew=agreements_to_sign_anew(version) if version.is_published else 0,
        amendment_counts=amendment_counts(amendment) if amendment else {},
    )


@bp.route("/<id:version_id>/announce", methods=["POST"])
@manager_required
def announce_version(version_id: int):
    """Announce a published version to every client on an older one, each with its own window."""
    version = or_404(db.session.get(TermsVersion, version_id))
    form = AmendmentForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("terms.show", version_id=version.id))
    try:
        amendment = announce(
            version,
            summary=form.summary.data,
            window_days=form.window_days.data,
            window_unit=form.window_unit.data,
            actor=current_user,
            now=clock.now(),
        )
    except ServiceError as error:
        show_error(error)
    else:
        flash(
            ngettext(
                "Versie %(label)s is aangekondigd aan %(num)s klant.",
                "Versie %(label)s is aangekondigd aan %(num)s klanten.",
                len(amendment_notices(amendment)),
                label=version.label,
            ),
            "success",
        )
    return redirect(url_for("terms.show", version_id=version.id))
