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
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from flask_babel import gettext as _
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from ..errors import Invalid
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


def trust_roots(folder: str | None) -> list[asn1_x509.Certificate]:
    """Read every certificate (PEM or DER) in `folder`: the roots a client's signing certificate may chain to."""
    if not folder:
        return []
    roots = []
    for path in sorted(Path(folder).iterdir()):
        if not path.is_file() or path.suffix.lower() not in {".pem", ".crt", ".cer", ".der"}:
            continue
        data = path.read_bytes()
        certificates = (
            x509.load_pem_x509_certificates(data) if b"-----BEGIN" in data else [x509.load_der_x509_certificate(data)]
        )
        roots += [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in certificates]
    return roots


def _validate(signature, context: ValidationContext):
    return validate_pdf_signature(signature, signer_validation_context=context, ts_validation_context=context)


def check(upload: bytes, original: bytes, *, roots: list[asn1_x509.Certificate], fetch: bool) -> list[Signer]:
    """Return the signers of `upload` when it is `original` signed as this module's docstring says; else raise
    Invalid on the upload field, saying why."""
    if not roots:
        raise Invalid(_("Ondertekenen met een eigen certificaat is hier niet ingesteld."))  # no form to put it beside
    if not upload.startswith(b"%PDF"):
        raise Invalid(_("Dit is geen PDF-bestand."), FIELD)
    try:
        signatures = PdfFileReader(io.BytesIO(upload), strict=False).embedded_signatures
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
    context = ValidationContext(trust_roots=roots, allow_fetching=fetch)
    signers, last = [], None
    for signature in signatures:
        status = outside_event_loop(partial(_validate, signature, context))
        if not (status.intact and status.valid):
            raise Invalid(
                _("Een handtekening in deze PDF klopt niet: het bestand is na het ondertekenen gewijzigd."), FIELD
            )
        if not status.trusted:
            problem = str(getattr(status.trust_problem_indic, "name", "") or "")
            if "OUT_OF_BOUNDS" in problem or "EXPIRED" in problem:
                raise Invalid(
                    _("Het certificaat van de handtekening was verlopen op het ogenblik van ondertekenen."), FIELD
                )
            raise Invalid(
                _("De handtekening is niet gemaakt met een certificaat dat hier als gekwalificeerd vertrouwd wordt."),
                FIELD,
            )
        if status.coverage not in (SignatureCoverageLevel.ENTIRE_FILE, SignatureCoverageLevel.ENTIRE_REVISION) or (
            status.modification_level not in ALLOWED_AFTER
        ):
            raise Invalid(_("Na de handtekening is er nog iets aan de PDF veranderd."), FIELD)
        last = status
        certificate = status.signing_cert
        stamp = status.timestamp_validity
        at, source = (
            (stamp.timestamp, "timestamp")
            if stamp is not None and stamp.intact and stamp.valid
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
    # The last signature must cover the whole file: nothing unsigned may follow it.
    if last is None or last.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        raise Invalid(_("Na de handtekening is er nog iets aan de PDF veranderd."), FIELD)
    return signers
