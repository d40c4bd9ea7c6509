"""A client's signature made outside the app: the agreement PDF signed in any PDF tool with a qualified certificate
(a Belgian eID card, another qualified signature device), uploaded on the sign page.

It counts only when pyHanko finds every signature in it intact and valid, the signer's certificate chains to a root
in SIGNATURE_TRUST_ROOTS (a folder of certificates the processor has checked), and the file is the document that
was sent, byte for byte, with nothing after it but the signatures (incremental updates that pyHanko's difference
analysis allows for signing). A refusal says why.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from asn1crypto import x509 as asn1_x509
from flask_babel import gettext as _
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from ..errors import Invalid
from ..seal import FIELD as SEAL_FIELD
from ..seal import outside_event_loop

FIELD = "signed_pdf"
#: What may follow the document as sent: its signatures, their fields and validation data, nothing else.
ALLOWED_AFTER = {ModificationLevel.NONE, ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING}


@dataclass(frozen=True)
class Signer:
    """One signature of an uploaded PDF, as its certificate and time say."""

    name: str
    subject: str
    issuer: str
    signed_at: datetime
    #: "timestamp": from a time-stamping authority's token; "claimed": the time the signer's software stated.
    time_source: str


#: What a signing tool may change in objects of the document as sent, per kind of object: the catalog gets the form
#: and the validation data, the document information its dates, a page its annotations (the signature's widget).
CHANGEABLE = {"/Catalog": {"/AcroForm", "/DSS", "/Extensions", "/Metadata", "/Version"}, "/Page": {"/Annots"}}
INFO_KEYS = {"/ModDate", "/Producer", "/Creator"}


def _only_signatures_added(reader: PdfFileReader, base: int) -> bool:
    """Whether every revision after `base` (the document as sent) only adds signatures: objects of the document
    may change only as CHANGEABLE says, and the annotations added to a page only signature widgets."""
    xrefs = reader.xrefs
    info = _raw(reader.trailer, "/Info")
    info = (info.idnum, info.generation) if isinstance(info, generic.IndirectObject) else None
    for revision in range(base + 1, xrefs.total_revisions):
        if xrefs.refs_freed_in_revision(revision):
            return False
        before, after = reader.get_historical_resolver(revision - 1), reader.get_historical_resolver(revision)
        for ref in xrefs.explicit_refs_in_revision(revision):
            if xrefs.get_introducing_revision(ref) >= revision:
                continue  # a new object: reachable only through a change checked here
            old, new = before(ref), after(ref)
            if not _allowed_change(old, new, is_info=(ref.idnum, ref.generation) == info, resolve=after):
                return False
    return True


def _allowed_change(old, new, *, is_info: bool, resolve) -> bool:
    if isinstance(old, generic.StreamObject) or isinstance(new, generic.StreamObject):
        return old.get("/Type") == new.get("/Type") == "/Metadata"  # XMP metadata, shown nowhere on a page
    if isinstance(old, generic.ArrayObject) and isinstance(new, generic.ArrayObject):  # /Annots or /Fields
        added = list(new)[len(old) :]
        return list(new)[: len(old)] == list(old) and all(_is_signature(resolve, item) for item in added)
    if not (isinstance(old, generic.DictionaryObject) and isinstance(new, generic.DictionaryObject)):
        return False
    changed = {key for key in set(old) | set(new) if _raw(old, key) != _raw(new, key)}
    if is_info:
        return changed <= INFO_KEYS
    if "/Fields" in old and changed <= {"/Fields", "/SigFlags", "/DA", "/DR"}:  # the form: its fields grow
        return _only_added(_raw(old, "/Fields"), _raw(new, "/Fields"), resolve)
    allowed = CHANGEABLE.get(str(old.get("/Type")), set())
    if not changed <= allowed:
        return False
    if "/Annots" in changed:
        return _only_added(_raw(old, "/Annots"), _raw(new, "/Annots"), resolve)
    return True


def _raw(dictionary, key):
    """A value as written (a reference stays a reference), or None."""
    return dictionary.raw_get(key) if key in dictionary else None


def _only_added(old, new, resolve) -> bool:
    """Whether an array (inline or by reference) kept its items and only gained signature fields or widgets."""
    if isinstance(old, generic.IndirectObject) and old == new:
        return True  # the same array object, checked where it changed
    before = list(old.get_object()) if old is not None else []
    after = list(new.get_object()) if new is not None else []
    return after[: len(before)] == before and all(_is_signature(resolve, item) for item in after[len(before) :])


def _is_signature(resolve, item) -> bool:
    """Whether an added field or annotation is a signature field or its widget."""
    target = item.get_object() if isinstance(item, generic.IndirectObject) else item
    if not isinstance(target, generic.DictionaryObject):
        return False
    kind = target.get("/FT") or (target.get("/Parent") or generic.DictionaryObject()).get("/FT")
    subtype = target.get("/Subtype")
    return kind == "/Sig" and subtype in (None, "/Widget")


def _validate(signature, context: ValidationContext):
    return validate_pdf_signature(signature, signer_validation_context=context, ts_validation_context=context)


def check(upload: bytes, original: bytes, *, roots: list[asn1_x509.Certificate], fetch: bool) -> list[Signer]:
    """Return the signers of `upload` when it is `original` signed as this module's docstring says; else raise
    Invalid, saying why."""
    if not roots:
        raise Invalid(_("Ondertekenen met een eigen certificaat is hier niet ingesteld."))  # no form to put it beside
    if not upload.startswith(b"%PDF"):
        raise Invalid(_("Dit is geen PDF-bestand."), FIELD)
    try:
        reader = PdfFileReader(io.BytesIO(upload), strict=False)
        signatures = reader.embedded_regular_signatures  # document timestamps: validation data, allowed
        base = PdfFileReader(io.BytesIO(original), strict=False).xrefs.total_revisions - 1
    except (PdfReadError, ValueError, KeyError, TypeError) as error:
        raise Invalid(_("Deze PDF kan niet gelezen worden."), FIELD) from error
    if not signatures:
        raise Invalid(_("Deze PDF draagt geen handtekening: onderteken ze eerst in uw PDF-programma."), FIELD)
    if not upload.startswith(original):
        raise Invalid(
            _(
                "Deze PDF is niet de overeenkomst die u kreeg: download ze hierboven opnieuw en onderteken ze zonder "
                "er iets aan te veranderen."
            ),
            FIELD,
        )
    if any(s.field_name == SEAL_FIELD for s in signatures) or any(s.docmdp_level is not None for s in signatures):
        # The processor's seal goes on after: a field of its name, or a certification that forbids what follows,
        # would keep it from being added.
        raise Invalid(_("Onderteken met een gewone handtekening, niet met een certificerende handtekening."), FIELD)
    # Everything added to the document as sent may only be signatures (their fields and widgets, the form that
    # holds them, validation data): a page or a text changed, then signed, is another document.
    try:
        only_signatures = _only_signatures_added(reader, base)
    except (PdfReadError, ValueError, KeyError) as error:
        raise Invalid(_("Deze PDF kan niet gelezen worden."), FIELD) from error
    if not only_signatures:
        raise Invalid(
            _("Na de overeenkomst zoals ze verstuurd werd, is er meer veranderd dan een handtekening."), FIELD
        )
    context = ValidationContext(trust_roots=roots, allow_fetching=fetch)
    signers, last = [], None
    for signature in signatures:
        try:
            status = outside_event_loop(partial(_validate, signature, context))
        except (ValueError, KeyError, TypeError) as error:  # pyHanko's SignatureValidationError and parse errors
            raise Invalid(_("Een handtekening in deze PDF kan niet gecontroleerd worden."), FIELD) from error
        if not (status.intact and status.valid):
            raise Invalid(
                _("Een handtekening in deze PDF klopt niet: het bestand is na het ondertekenen gewijzigd."), FIELD
            )
        if not status.trusted:
            problem = str(getattr(status.trust_problem_indic, "name", "") or "")
            if "OUT_OF_BOUNDS" in problem or "EXPIRED" in problem:
                raise Invalid(_("Het certificaat van de handtekening is verlopen."), FIELD)
            raise Invalid(
                _("De handtekening is niet gemaakt met een certificaat dat hier als gekwalificeerd vertrouwd wordt."),
                FIELD,
            )
        last = status
        certificate = status.signing_cert
        stamp = status.timestamp_validity
        at, source = (
            (stamp.timestamp, "timestamp")
            if stamp is not None and stamp.intact and stamp.valid and stamp.trusted
            else (status.signer_reported_dt, "claimed")
        )
        if at is None:
            raise Invalid(_("De handtekening vermeldt niet wanneer ze gezet werd."), FIELD)
        signers.append(
            Signer(
                name=str(certificate.subject.native.get("common_name") or certificate.subject.human_friendly),
                subject=certificate.subject.human_friendly,
                issuer=certificate.issuer.human_friendly,
                signed_at=at,
                time_source=source,
            )
        )
    # After the last signature: validation data and document timestamps at most (pyHanko's difference analysis),
    # and no bytes after the file's last end marker.
    if (
        last is None
        or last.modification_level not in {ModificationLevel.NONE, ModificationLevel.LTA_UPDATES}
        or not upload.rstrip().endswith(b"%%EOF")
    ):
        raise Invalid(_("Na de handtekening is er nog iets aan de PDF veranderd."), FIELD)
    return signers
