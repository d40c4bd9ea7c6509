"""Every document the product issues is sealed by the processor and timestamped (issue: proof outside the app).

The seal and the time-stamping authority are the tests' own (pki.py), the authority served over HTTP on
loopback. pyHanko validates the documents against the tests' root; poppler's pdfsig reads them as any PDF tool
would.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from flask import current_app
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from dpa_manager import create_app, jobs, seal
from dpa_manager.accounts.models import User
from dpa_manager.agreements import services as agreements
from dpa_manager.agreements.models import Agreement
from dpa_manager.errors import Unavailable
from dpa_manager.extensions import db
from dpa_manager.jobs import drain
from dpa_manager.mail.models import OutboxMessage
from dpa_manager.web import public, signed_from

from . import pki
from .conftest import NOW, STRONG_SECRET, free_port, fresh_app
from .test_amendments import CLOSES, EFFECTIVE, announce, current_agreement, make_version, notice_of


def validate(data: bytes):
    """pyHanko's verdict on the one signature of a PDF, trusting the tests' root."""
    (signature,) = PdfFileReader(io.BytesIO(data)).embedded_signatures
    return signature, validate_pdf_signature(
        signature, signer_validation_context=pki.validation_context(), ts_validation_context=pki.validation_context()
    )


def tampered(data: bytes, text: bytes = b"/Producer") -> bytes:
    """The PDF with one byte changed inside what the signature covers."""
    at = data.index(text) + 1
    return data[:at] + bytes([data[at] ^ 0x20]) + data[at + 1 :]


def text_of(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def test_a_signed_agreement_is_sealed_timestamped_and_a_changed_byte_shows(make_agreement):
    agreement = make_agreement("signed")
    data = agreements.pdf_of(agreement, now=NOW)
    signature, status = validate(data)
    assert signature.field_name == seal.FIELD
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.coverage.name == "ENTIRE_FILE" and status.modification_level.name == "NONE"
    assert "Testverwerker development seal" in status.signing_cert.subject.human_friendly
    stamp = status.timestamp_validity
    assert stamp is not None and stamp.intact and stamp.valid and stamp.trusted
    assert NOW <= stamp.timestamp < NOW + timedelta(minutes=1)  # the authority's clock (the test's, running)
    assert (
        signature.sig_object["/Reason"] == f"Verwerkersovereenkomst VO-{agreement.id:05d}, verzegeld door de verwerker"
    )

    _, after = validate(tampered(data))
    assert not after.intact and not after.bottom_line


def test_the_signature_page_records_who_signed_how_and_from_where(login, manager, make_agreement, make_user):
    agreement = make_agreement("sent")
    signer = make_user(client=agreement.client, full_name="Els Janssens")
    portal = login(signer)
    browser = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"
    response = portal.post(
        f"/portal/agreements/{agreement.id}",
        data={"full_name": "Els Janssens", "role": "Zaakvoerder", "authorised": "y"},
        headers={"User-Agent": browser},
        environ_base={"REMOTE_ADDR": "198.51.100.23"},
    )
    assert response.status_code == 302
    portal.post("/logout")
    response = login(manager).post(
        f"/agreements/{agreement.id}/countersign",
        data={"full_name": "An Manager", "role": "Accountmanager", "authorised": "y"},
        headers={"User-Agent": "Chromium/131"},
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    signed = db.session.get(Agreement, agreement.id)
    assert signed.state == "signed"
    assert signed.client_signed_from == {"method": "password", "ip": "198.51.100.23", "browser": browser}
    text = text_of(signed.signed_pdf)
    assert "verzegeld met zijn elektronisch zegel en een tijdstempel" in text
    assert "SHA-256" not in text  # no fingerprint of another file
    for expected in (
        "Naam Els Janssens",
        "Aangemeld met e-mailadres en wachtwoord",
        "IP-adres 198.51.100.23",
        f"Browser {browser}",
        "Naam An Manager",
        "IP-adres 203.0.113.7",
        "Browser Chromium/131",
    ):
        assert expected in text
    assert validate(signed.signed_pdf)[1].bottom_line


def attached_pdfs(message) -> list[tuple[str, bytes]]:
    return [
        (part.get_filename(), part.get_content())
        for part in message.iter_attachments()
        if part.get_content_type() == "application/pdf"
    ]


def test_the_sealed_signed_agreement_is_e_mailed_to_the_signer_and_the_manager(make_agreement, manager, inbox):
    agreement = make_agreement("client_signed")
    agreements.countersign(agreement, user=manager, full_name="An Manager", role="Accountmanager", now=NOW)
    db.session.commit()
    drain(now=lambda: NOW)
    signer = db.session.get(User, agreement.client_signer_id)
    stored = db.session.get(Agreement, agreement.id).signed_pdf
    reference = f"VO-{agreement.id:05d}"
    (to_client,) = inbox.to(signer.email)
    (to_manager,) = inbox.to(manager.email)
    assert to_client["Subject"] == f"Uw ondertekende verwerkersovereenkomst {reference} met ContactExpert NV"
    assert to_manager["Subject"] == f"Ondertekende verwerkersovereenkomst {reference} met {agreement.client.name}"
    for message in (to_client, to_manager):
        assert attached_pdfs(message) == [(f"verwerkersovereenkomst-{reference}.pdf", stored)]
        body = message.get_body(preferencelist=("plain",)).get_content()
        assert "door beide partijen ondertekend" in body and "niet gewijzigd is" in body
    assert validate(stored)[1].bottom_line


def test_the_sealed_amended_agreement_is_e_mailed_to_the_client(setup, make_agreement, manager, inbox):
    version = make_version(setup, manager, effective_on=EFFECTIVE)
    old = make_agreement("signed")
    announce(version, manager)
    drain(now=lambda: NOW)
    jobs.sweep(CLOSES)
    drain(now=lambda: CLOSES)
    amended = current_agreement(old.client_id)
    copies = [m for m in inbox.messages if "gewijzigde verwerkersovereenkomst" in m["Subject"]]
    assert {address for m in copies for address in str(m["To"]).split(", ")} >= {old.client.contact_email}
    stored = agreements.pdf_of(amended, now=CLOSES)  # stored when the copy was composed, not made again
    for message in copies:
        assert message["Subject"] == (
            f"Uw gewijzigde verwerkersovereenkomst VO-{amended.id:05d} met ContactExpert NV (versie 2027-01)"
        )
        assert attached_pdfs(message) == [(f"verwerkersovereenkomst-VO-{amended.id:05d}.pdf", stored)]
        assert "wijzigingsakte op de laatste pagina" in message.get_body(preferencelist=("plain",)).get_content()
    assert validate(stored)[1].bottom_line


def test_a_copy_goes_out_with_the_pdf_kept_even_when_a_later_message_of_its_batch_cannot_be_rendered(
    setup, make_agreement, manager, inbox
):
    from dpa_manager.mail import outbox

    version = make_version(setup, manager, effective_on=EFFECTIVE)
    old = make_agreement("signed")
    announce(version, manager)
    drain(now=lambda: NOW)
    jobs.sweep(CLOSES)
    outbox.enqueue(
        [outbox.row(key="broken", template="no-such-template", recipients=["x@example.be"], language="nl", now=CLOSES)]
    )
    db.session.commit()
    drain(now=lambda: CLOSES)
    amended = current_agreement(old.client_id)
    (copy,) = [m for m in inbox.messages if "gewijzigde verwerkersovereenkomst" in m["Subject"]][:1]
    db.session.expire_all()
    kept = db.session.get(Agreement, amended.id).signed_pdf
    assert kept is not None and attached_pdfs(copy)[0][1] == kept


def test_behind_a_proxy_the_recorded_address_is_the_one_it_forwarded(tmp_path):
    for hops, expected in ((0, "10.0.0.2"), (1, "198.51.100.23")):
        for app in fresh_app(tmp_path, PROXY_HOPS=hops):
            app.add_url_rule("/whoami", "whoami", public(lambda: signed_from()["ip"]))
            response = app.test_client().get(
                "/whoami", headers={"X-Forwarded-For": "198.51.100.23"}, environ_base={"REMOTE_ADDR": "10.0.0.2"}
            )
            assert response.text == expected


def test_an_amended_agreement_and_an_evidence_file_are_sealed(setup, make_agreement, manager, login, inbox):
    version = make_version(setup, manager, effective_on=EFFECTIVE)
    old = make_agreement("signed")
    amendment = announce(version, manager)
    drain(now=lambda: NOW)
    jobs.sweep(CLOSES)
    amended = current_agreement(old.client_id)
    assert amended.concluded_by == "silence"
    _, status = validate(agreements.pdf_of(amended, now=CLOSES))
    assert status.bottom_line and status.timestamp_validity.trusted
    notice = notice_of(amendment, old)
    evidence = login(manager).get(f"/notices/{notice.id}/evidence.pdf")
    assert evidence.status_code == 200
    signature, status = validate(evidence.data)
    assert status.bottom_line and status.coverage.name == "ENTIRE_FILE"
    assert signature.sig_object["/Reason"] == f"Bewijsdossier van melding {notice.id}, verzegeld door de verwerker"


def test_nothing_is_signed_when_the_time_stamping_authority_is_down(tmp_path, make_agreement, login, manager):
    agreement = make_agreement("client_signed")
    current_app.config["TSA_URL"] = f"http://127.0.0.1:{free_port()}/tsa"
    current_app.extensions.pop("dpa_seal", None)
    with pytest.raises(Unavailable):
        agreements.countersign(agreement, user=manager, full_name="An Manager", role="Accountmanager", now=NOW)
    db.session.rollback()
    http = login(manager)
    response = http.post(
        f"/agreements/{agreement.id}/countersign",
        data={"full_name": "An Manager", "role": "Accountmanager", "authorised": "y"},
    )
    assert response.status_code == 302
    page = http.get(f"/agreements/{agreement.id}")
    assert "de tijdstempeldienst antwoordt niet" in page.text
    db.session.expire_all()
    unchanged = db.session.get(Agreement, agreement.id)
    assert unchanged.state == "sent" and unchanged.processor_signed_at is None and unchanged.signed_pdf is None


def test_a_client_asking_for_an_amended_agreement_while_the_authority_is_down_is_told_on_its_own_page(
    setup, make_agreement, manager, login, inbox
):
    version = make_version(setup, manager, effective_on=EFFECTIVE)
    old = make_agreement("signed")
    announce(version, manager)
    drain(now=lambda: NOW)
    jobs.sweep(CLOSES)
    db.session.execute(db.delete(OutboxMessage).where(OutboxMessage.template == "agreement_copy"))
    db.session.commit()
    amended = current_agreement(old.client_id)
    assert amended.concluded_by == "silence" and amended.signed_pdf is None
    current_app.config["TSA_URL"] = f"http://127.0.0.1:{free_port()}/tsa"
    current_app.extensions.pop("dpa_seal", None)
    http = login(old.client.users[0])
    response = http.get(f"/agreements/{amended.id}/pdf")
    assert response.status_code == 302 and response.location.endswith(f"/portal/agreements/{amended.id}")
    assert "de tijdstempeldienst antwoordt niet" in http.get(response.location).text
    db.session.expire_all()
    assert db.session.get(Agreement, amended.id).signed_pdf is None


def test_production_refuses_to_start_without_a_seal_or_with_a_wrong_passphrase(tmp_path, monkeypatch):
    monkeypatch.setenv("DPA_INSTANCE_PATH", str(tmp_path))
    production = {"DPA_ENV": "production", "SECRET_KEY": STRONG_SECRET, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    for missing in ({}, {"TSA_URL": pki.tsa_url()}, {"SEAL_PKCS12": str(pki.authority().seal)}):
        with pytest.raises(seal.SealMisconfigured, match="SEAL_PKCS12 and SEAL_PKCS12_PASSWORD"):
            create_app(production | missing)
    wrong = production | pki.seal_config() | {"SEAL_PKCS12_PASSWORD": "not-the-passphrase"}
    with pytest.raises(seal.SealMisconfigured, match="is not a PKCS#12 file that SEAL_PKCS12_PASSWORD opens"):
        create_app(wrong)
    app = create_app(production | pki.seal_config())
    assert app.extensions["dpa_seal"].development is False
    assert not (tmp_path / seal.DEVELOPMENT_FOLDER).exists()


def test_outside_production_a_development_seal_is_made_once_and_said(tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("DPA_INSTANCE_PATH", str(tmp_path))
    config = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True}
    app = create_app(config)
    assert "a development seal and time-stamping authority were made in" in capfd.readouterr().err
    create_app(config)
    assert "development seal" not in capfd.readouterr().err  # made once
    with app.app_context():
        made = seal.current()
        assert made.development and "development seal (not trusted)" in made.subject
        data = seal.seal_pdf(_blank_pdf(), reason="test")
    (signature,) = PdfFileReader(io.BytesIO(data)).embedded_signatures
    # The tests' root is not the development one: intact, timestamped, trusted by no one.
    status = validate_pdf_signature(signature, signer_validation_context=pki.validation_context())
    assert status.intact and status.valid and not status.trusted
    assert status.timestamp_validity is not None and status.timestamp_validity.intact
    assert oct((tmp_path / seal.DEVELOPMENT_FOLDER / "seal.p12").stat().st_mode)[-3:] == "600"


def _blank_pdf() -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    canvas = Canvas(out)
    canvas.drawString(72, 720, "Test")
    canvas.save()
    return out.getvalue()


@pytest.mark.skipif(
    shutil.which("pdfsig") is None and not os.environ.get("CI"), reason="needs poppler's pdfsig (.ci/run installs it)"
)
def test_pdfsig_reports_the_seal_and_a_changed_byte(make_agreement, tmp_path):
    data = agreements.pdf_of(make_agreement("signed"), now=NOW)
    good, bad = tmp_path / "signed.pdf", tmp_path / "changed.pdf"
    good.write_bytes(data)
    bad.write_bytes(tampered(data))
    report = subprocess.run(["pdfsig", str(good)], capture_output=True, text=True, check=True).stdout
    assert "Signature Field Name: Zegel" in report and "Signature is Valid." in report
    assert "Total document signed" in report and "ETSI.CAdES.detached" in report
    changed = subprocess.run(["pdfsig", str(bad)], capture_output=True, text=True).stdout
    assert "Digest Mismatch." in changed


def test_a_third_party_checks_the_seal_with_pyhankos_command_line(make_agreement, tmp_path):
    """README, "Verifying a document": the command a reader runs, with the root they chose to trust."""
    data = agreements.pdf_of(make_agreement("signed"), now=NOW)
    good, bad = tmp_path / "signed.pdf", tmp_path / "changed.pdf"
    good.write_bytes(data)
    bad.write_bytes(tampered(data))
    command = [os.path.join(os.path.dirname(sys.executable), "pyhanko"), "sign", "validate", "--pretty-print"]
    trust = ["--no-revocation-check", "--trust-replace", "--trust", str(pki.authority().root)]
    report = subprocess.run([*command, *trust, str(good)], capture_output=True, text=True)
    assert report.returncode == 0, report.stdout + report.stderr
    assert 'Certificate subject: "Common Name: Testverwerker development seal' in report.stdout
    assert (
        "The signer's certificate is trusted." in report.stdout and "The TSA certificate is trusted." in report.stdout
    )
    assert "The signature covers the entire file." in report.stdout and "judged VALID" in report.stdout
    assert f"Certificate SHA256 fingerprint: {current_app.extensions['dpa_seal'].fingerprint}" in report.stdout
    changed = subprocess.run([*command, *trust, str(bad)], capture_output=True, text=True)
    assert changed.returncode != 0
    assert "The signature is cryptographically unsound." in changed.stdout and "judged INVALID" in changed.stdout


SOFTHSM = "/usr/lib/softhsm/libsofthsm2.so"


@pytest.fixture(scope="module")
def token(tmp_path_factory):
    """A PKCS#11 token (SoftHSM) holding the tests' seal key and certificate, as an HSM would."""
    if not (shutil.which("softhsm2-util") and os.path.exists(SOFTHSM)):
        if os.environ.get("CI"):
            pytest.fail("SoftHSM is missing (.ci/run installs softhsm2)")
        pytest.skip("needs SoftHSM: apt-get install softhsm2 (.ci/run does)")
    import pkcs11
    from cryptography.hazmat.primitives.serialization import pkcs12

    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    (folder / "softhsm2.conf").write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\n")
    os.environ["SOFTHSM2_CONF"] = str(folder / "softhsm2.conf")
    util = ["softhsm2-util", "--pin", "1234"]
    subprocess.run([*util, "--init-token", "--free", "--label", "dpa-seal", "--so-pin", "5678"], check=True)
    key, certificate, _ = pkcs12.load_key_and_certificates(
        pki.authority().seal.read_bytes(), pki.authority().password.encode()
    )
    pem = folder / "key.pem"
    pem.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    subprocess.run(
        [*util, "--import", str(pem), "--token", "dpa-seal", "--label", "seal", "--id", "01"],
        check=True,
        capture_output=True,
    )
    with pkcs11.lib(SOFTHSM).get_token(token_label="dpa-seal").open(rw=True, user_pin="1234") as session:
        session.create_object(
            {
                pkcs11.Attribute.CLASS: pkcs11.ObjectClass.CERTIFICATE,
                pkcs11.Attribute.CERTIFICATE_TYPE: pkcs11.CertificateType.X_509,
                pkcs11.Attribute.VALUE: certificate.public_bytes(serialization.Encoding.DER),
                pkcs11.Attribute.SUBJECT: certificate.subject.public_bytes(),
                pkcs11.Attribute.LABEL: "seal",
                pkcs11.Attribute.ID: b"\x01",
                pkcs11.Attribute.TOKEN: True,
            }
        )
    return {
        "SEAL_PKCS11_MODULE": SOFTHSM,
        "SEAL_PKCS11_TOKEN": "dpa-seal",
        "SEAL_PKCS11_KEY": "seal",
        "SEAL_PKCS11_CERT": "seal",
        "SEAL_PKCS11_PIN": "1234",
        "SEAL_PKCS11_RAW": True,  # SoftHSM signs an EC digest, not ECDSA-with-SHA-256 in one step
    }


def test_a_seal_on_a_pkcs11_token_seals_as_the_file_does(app, token):
    app.config.update(token, SEAL_PKCS12=None, SEAL_PKCS12_PASSWORD=None)
    app.extensions.pop("dpa_seal", None)
    assert "Testverwerker development seal" in seal.current().subject
    _, status = validate(seal.seal_pdf(_blank_pdf(), reason="test"))
    assert status.bottom_line and status.timestamp_validity is not None and status.timestamp_validity.trusted
    app.config["SEAL_PKCS11_PIN"] = "0000"
    app.extensions.pop("dpa_seal", None)
    with pytest.raises(seal.SealMisconfigured, match="SEAL_PKCS11: the token cannot be opened"):
        seal.current()


def test_the_seal_carries_its_validation_data_pades_b_lt(make_agreement):
    """The certificates of the seal and of the time-stamping authority, and the root's revocation list (fetched
    from the address in the certificates), are in the document security store: the seal validates from the
    document alone, revocation checked, with nothing fetched."""
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    data = agreements.pdf_of(make_agreement("signed"), now=NOW)
    reader = PdfFileReader(io.BytesIO(data))
    dss = DocumentSecurityStore.read_dss(reader)
    assert len(dss.crls) >= 1
    names = {c.subject.native["common_name"] for c in dss.load_certs()}
    assert {
        "Testverwerker development seal (not trusted)",
        "Testverwerker development time-stamping authority (not trusted)",
    } <= names
    (signature,) = reader.embedded_signatures
    offline = dss.as_validation_context(
        {"trust_roots": [pki.root()], "allow_fetching": False, "revocation_mode": "hard-fail"}
    )
    status = validate_pdf_signature(signature, signer_validation_context=offline, ts_validation_context=offline)
    assert status.bottom_line and status.trusted and status.timestamp_validity is not None
    # without the document's revocation data the same strict check cannot conclude
    bare = ValidationContext(
        trust_roots=[pki.root()], allow_fetching=False, revocation_mode="hard-fail", crls=[], ocsps=[]
    )
    assert not validate_pdf_signature(signature, signer_validation_context=bare, ts_validation_context=bare).bottom_line


def test_when_the_chain_cannot_be_validated_the_seal_is_b_t_and_says_so(app, make_agreement, tmp_path, caplog):
    """A seal whose roots are not the ones its certificates chain to (a misconfigured TSA_TRUST_ROOTS, a token
    without its chain) still seals, as PAdES B-T, and the log says why."""
    from dataclasses import replace

    from asn1crypto import x509 as asn1_x509
    from cryptography import x509

    from dpa_manager import devpki

    other = devpki.make_authority(tmp_path / "other", organisation="Ander", now=NOW)
    unrelated = asn1_x509.Certificate.load(
        x509.load_pem_x509_certificate(other.root.read_bytes()).public_bytes(serialization.Encoding.DER)
    )
    app.extensions["dpa_seal"] = replace(seal.current(), roots=(unrelated,))
    with caplog.at_level("WARNING"):
        data = agreements.pdf_of(make_agreement("signed"), now=NOW)
    assert b"/DSS" not in data
    assert "sealed as PAdES B-T: the chain could not be validated" in caplog.text
    _, status = validate(data)
    assert status.bottom_line and status.timestamp_validity is not None
