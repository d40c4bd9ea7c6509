"""The processor's standard terms: versions, editing, publishing, comparing (a version's own page and its
amendment: amendments/views.py)."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import clock
from ..errors import ServiceError
from ..extensions import db
from ..rules import CHECKLIST
from ..web import ConfirmForm, manager_required, or_404, show_error
from . import bp, services
from .compare import compare
from .forms import TermsForm
from .models import TermsVersion
from .services import publish, save_draft
from .text import PLACEHOLDERS, to_text, translation_text


@bp.route("/")
@manager_required
def index():
    return render_template("terms/index.html", versions=services.all_versions())


def _edit(version: TermsVersion | None, template_source: TermsVersion | None):
    form = TermsForm()
    if request.method == "GET" and template_source is not None:
        form.text.data = to_text(template_source.articles)
        form.text_fr.data = translation_text(template_source.articles, "fr")
        form.text_en.data = translation_text(template_source.articles, "en")
        form.title.data = template_source.title
        form.title_fr.data = (template_source.title_translations or {}).get("fr", "")
        form.title_en.data = (template_source.title_translations or {}).get("en", "")
        if version is not None:
            form.label.data, form.effective_on.data = version.label, version.effective_on
    if form.validate_on_submit():
        try:
            saved = save_draft(
                version,
                label=form.label.data,
                title=form.title.data,
                effective_on=form.effective_on.data,
                text=form.text.data,
                translations={"fr": form.text_fr.data, "en": form.text_en.data},
                titles={"fr": form.title_fr.data, "en": form.title_en.data},
                based_on=template_source,
                actor=current_user,
                now=clock.now(),
            )
        except ServiceError as error:
            show_error(error, form)
        else:
            flash(_("Concept %(label)s bewaard.", label=saved.label), "success")
            return redirect(url_for("terms.show", version_id=saved.id))
    return render_template(
        "terms/form.html", form=form, version=version, placeholders=PLACEHOLDERS, checklist=CHECKLIST
    )


@bp.route("/new", methods=["GET", "POST"])
@manager_required
def new():
    return _edit(None, services.latest_version())


@bp.route("/<id:version_id>/edit", methods=["GET", "POST"])
@manager_required
def edit(version_id: int):
    version = or_404(db.session.get(TermsVersion, version_id))
    if version.is_published:
        flash(_("Een gepubliceerde versie kan niet meer wijzigen; maak een nieuwe versie."), "error")
        return redirect(url_for("terms.show", version_id=version.id))
    return _edit(version, version)


@bp.route("/<id:version_id>/publish", methods=["POST"])
@manager_required
def publish_version(version_id: int):
    version = or_404(db.session.get(TermsVersion, version_id))
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("Vink aan om te bevestigen."), "error")
    else:
        try:
            publish(version, actor=current_user, now=clock.now())
        except ServiceError as error:
            show_error(error)
        else:
            flash(_("Versie %(label)s is gepubliceerd.", label=version.label), "success")
    return redirect(url_for("terms.show", version_id=version.id))


@bp.route("/<id:version_id>/compare")
@manager_required
def compare_versions(version_id: int):
    """Article by article: what changed from another version (default: the one before) to this one."""

    version = or_404(db.session.get(TermsVersion, version_id))
    others = services.all_versions(but=version.id)
    other_id = request.args.get("with", type=int)
    base = next((v for v in others if v.id == other_id), None) or next(
        (v for v in others if (v.effective_on, v.id) < (version.effective_on, version.id)), None
    )
    changes = compare(base.articles, version.articles) if base else []
    return render_template("terms/compare.html", version=version, base=base, others=others, changes=changes)
