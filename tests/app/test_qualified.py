"""A client signs the agreement PDF in a PDF tool with a qualified certificate (eID) and uploads it.

A certificate authority of the tests' own stands in for the eID issuer (a citizen CA); another one, which the app
does not trust, for any other issuer.
"""

from __future__ import annotations

import functools
import io
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from dpa_manager import devpki
from dpa_manager.agreements import services as agreements
from dpa_manager.agreements.models import Agreement
from dpa_manager.extensions import db

from . import pki
from .conftest import NOW

DER = serialization.Encoding.DER


def _asn1(certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(DER))


def _authority(name: str):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = devpki.name_of(name, "Testland")
    root = devpki.issue(
        subject,
        key.public_key(),
        issuer=subject,
        issuer_key=key,
        not_before=datetime(2000, 1, 1, tzinfo=UTC),
        not_after=datetime(2100, 1, 1, tzinfo=UTC),
        ca=True,
        usage=devpki.key_usage(key_cert_sign=True, crl_sign=True),
    )
    return key, subject, root


def _citizen(authority, name: str, *, until=datetime(2100, 1, 1, tzinfo=UTC)) -> signers.SimpleSigner:
    ca_key, ca_name, ca_root = authority
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = devpki.issue(
        devpki.name_of(name, "Testland"),
        key.public_key(),
        issuer=ca_name,
        issuer_key=ca_key,
        not_before=datetime(2000, 1, 1, tzinfo=UTC),
        not_after=until,
        usage=devpki.key_usage(digital_signature=True, content_commitment=True),
    )
    private = key.private_bytes(DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return signers.SimpleSigner(
        signing_cert=_asn1(certificate),
        signing_key=asn1_keys.PrivateKeyInfo.load(private),
        cert_registry=SimpleCertificateStore.from_certs([_asn1(ca_root)]),
    )


@functools.cache
def citizens() -> dict:
    """The citizen CA (trusted: its root in a folder for SIGNATURE_TRUST_ROOTS), its citizens, and a stranger."""
    trusted, other = _authority("Test Citizen CA"), _authority("Some Other CA")
    folder = Path(tempfile.mkdtemp(prefix="dpa-test-eid-"))
    (folder / "citizen-ca.pem").write_bytes(trusted[2].public_bytes(serialization.Encoding.PEM))
    return {
        "roots": str(folder),
        "root": _asn1(trusted[2]),
        "els": _citizen(trusted, "Els Janssens (Signature)"),
        "expired": _citizen(trusted, "Jan Verlopen (Signature)", until=datetime(2001, 1, 1, tzinfo=UTC)),
        "stranger": _citizen(other, "Iemand Anders (Signature)"),
    }


def signed(data: bytes, signer: signers.SimpleSigner, field: str = "Handtekening", **more) -> bytes:
    """What a PDF tool does: the signature as an incremental update of the file as it is."""
    metadata = signers.PdfSignatureMetadata(field_name=field, md_algorithm="sha256", **more)
    return signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(data)), metadata, signer=signer).getvalue()


@pytest.fixture
def eid(app):
    app.config.update(SIGNATURE_TRUST_ROOTS=citizens()["roots"], SIGNATURE_REVOCATION_CHECK=False)
    return citizens()


def upload(http, agreement, data: bytes):
    return http.post(
        f"/portal/agreements/{agreement.id}/signed-pdf",
        data={
            "pdf-signed_pdf": (io.BytesIO(data), "vo-ondertekend.pdf"),
            "pdf-role": "Zaakvoerder",
            "pdf-authorised": "y",
        },
        content_type="multipart/form-data",
    )


def test_an_eid_signed_pdf_is_accepted_and_countersigned_with_the_seal(eid, login, make_agreement, make_user, manager):
    agreement = make_agreement("sent")
    http = login(make_user(client=agreement.client, full_name="Els Janssens"))
    page = http.get(f"/portal/agreements/{agreement.id}")
    assert "ondertekenen met uw eID of een ander gekwalificeerd certificaat" in page.text
    original = http.get(f"/agreements/{agreement.id}/pdf?download=1").data
    given = signed(original, eid["els"])
    response = upload(http, agreement, given)
    assert response.status_code == 302, response.text
    db.session.expire_all()
    agreement = db.session.get(Agreement, agreement.id)
    assert agreement.client_signed_pdf == given and agreement.client_signer_name == "Els Janssens (Signature)"
    (certificate,) = agreement.client_signed_pdf_certificates
    assert "Els Janssens" in certificate["subject"] and "Test Citizen CA" in certificate["issuer"]
    assert "met een gekwalificeerd certificaat" in http.get(f"/portal/agreements/{agreement.id}").text

    agreements.countersign(agreement, user=manager, full_name="An Manager", role="Accountmanager", now=NOW)
    db.session.commit()
    final = agreements.pdf_of(agreement, now=NOW)
    assert final.startswith(given)  # the seal is a further incremental update
    client_signature, seal_signature = PdfFileReader(io.BytesIO(final)).embedded_signatures
    trust_both = ValidationContext(trust_roots=[eid["root"], pki.root()], allow_fetching=False)
    client = validate_pdf_signature(client_signature, signer_validation_context=trust_both)
    assert client.intact and client.valid and client.trusted and client.docmdp_ok  # still valid under the seal
    sealed = validate_pdf_signature(
        seal_signature, signer_validation_context=trust_both, ts_validation_context=trust_both
    )
    assert sealed.bottom_line and sealed.coverage.name == "ENTIRE_FILE"
    assert "tegengetekend door An Manager (Accountmanager)" in seal_signature.sig_object["/Reason"]


@pytest.mark.parametrize(
    "case, message",
    [
        ("not signed", "Deze PDF draagt geen handtekening"),
        ("another document", "Deze PDF is niet de overeenkomst die u kreeg"),
        ("untrusted", "niet gemaakt met een certificaat dat hier als gekwalificeerd vertrouwd wordt"),
        ("expired", "Het certificaat van de handtekening is verlopen"),
        ("changed, then signed", "is er meer veranderd dan een handtekening"),
        ("changed as it was signed", "is er meer veranderd dan een handtekening"),
        ("changed after", "Een handtekening in deze PDF klopt niet"),
        ("added after", "Na de handtekening is er nog iets aan de PDF veranderd"),
        ("not a pdf", "Dit is geen PDF-bestand"),
        ("in the seal's field", "niet met een certificerende handtekening"),
        ("a certification", "niet met een certificerende handtekening"),
    ],
)
def test_a_signed_pdf_that_does_not_hold_is_refused_saying_why(eid, login, make_agreement, make_user, case, message):
    agreement = make_agreement("sent")
    http = login(make_user(client=agreement.client, full_name="Els Janssens"))
    original = http.get(f"/agreements/{agreement.id}/pdf?download=1").data
    given = {
        "not signed": lambda: original,
        "another document": lambda: signed(original.replace(b"/Producer", b"/Producez"), eid["els"]),
        "untrusted": lambda: signed(original, eid["stranger"]),
        "expired": lambda: signed(original, eid["expired"]),
        "changed after": lambda: _flip_after(signed(original, eid["els"]), len(original), b"Handtekening"),
        "added after": lambda: signed(original, eid["els"]) + b"\n% added after signing\n",
        "not a pdf": lambda: b"GIF89a not a pdf",
        "in the seal's field": lambda: signed(original, eid["els"], field="Zegel"),
        "a certification": lambda: signed(original, eid["els"], certify=True),
        "changed, then signed": lambda: signed(_cap_changed(original, sign_too=False), eid["els"]),
        "changed as it was signed": lambda: _cap_changed(original, sign_too=eid["els"]),
    }[case]()
    response = upload(http, agreement, given)
    assert response.status_code == 422 and message in response.text
    db.session.expire_all()
    unchanged = db.session.get(Agreement, agreement.id)
    assert unchanged.client_signed_at is None and unchanged.client_signed_pdf is None


def _cap_changed(data: bytes, *, sign_too) -> bytes:
    """The document with a line added on its first page (an incremental update), signed in the same update when
    `sign_too` is a signer: what a client who rewrites a clause and then signs would upload."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    extra = generic.StreamObject(stream_data=b"BT /F1 12 Tf 72 40 Td (Aansprakelijkheid: EUR 1) Tj ET")
    contents = page.raw_get("/Contents")
    items = list(contents.get_object()) if isinstance(contents.get_object(), generic.ArrayObject) else [contents]
    page["/Contents"] = generic.ArrayObject([*items, writer.add_object(extra)])
    writer.update_container(page)
    if sign_too:
        metadata = signers.PdfSignatureMetadata(field_name="Handtekening", md_algorithm="sha256")
        return signers.sign_pdf(writer, metadata, signer=sign_too).getvalue()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _flip_after(data: bytes, start: int, text: bytes) -> bytes:
    """Change one byte of `text` in what the signature added after the document (its field, covered by it)."""
    at = data.index(text, start) + 1
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def test_without_trust_roots_the_upload_is_not_offered_and_refused(login, make_agreement, make_user):
    agreement = make_agreement("sent")
    http = login(make_user(client=agreement.client, full_name="Els Janssens"))
    assert "eID" not in http.get(f"/portal/agreements/{agreement.id}").text
    original = http.get(f"/agreements/{agreement.id}/pdf?download=1").data
    assert current_app.config["SIGNATURE_TRUST_ROOTS"] is None
    response = upload(http, agreement, original)
    assert response.status_code == 422 and "niet ingesteld" in response.text
