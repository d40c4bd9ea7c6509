"""The processor's electronic seal: every document the product issues is a PAdES signature with a timestamp.

The seal is a key and certificate of the processor, from a PKCS#12 file (`SEAL_PKCS12`, `SEAL_PKCS12_PASSWORD`)
or a PKCS#11 token (`SEAL_PKCS11_MODULE`, `SEAL_PKCS11_TOKEN`, `SEAL_PKCS11_KEY`, `SEAL_PKCS11_CERT`,
`SEAL_PKCS11_PIN`, and `SEAL_PKCS11_RAW` for a token that signs only digests it is given); the timestamp (RFC
3161) comes from the time-stamping authority at `TSA_URL`. pyHanko makes the signature: PAdES baseline B-LT when the
seal's and the authority's certificates chain to a known root (the seal's own chain, TSA_TRUST_ROOTS), with the
certificates and the revocation data (CRL, OCSP) that can be fetched in the document security store; else B-T (the
signature, the seal's certificate and a timestamp on the signature).

In production (DPA_ENV=production) the app refuses to start without both. Elsewhere, when none is configured,
the app makes a development authority in the instance folder on first start (devpki.py: a root, a seal and a
time-stamping key, all marked "not trusted") and says so; documents then validate as intact and timestamped by
that authority, which no one else trusts.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from flask import Flask, current_app
from flask_babel import gettext as _
from pyhanko.pdf_utils import embed
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, SigDSSPlacementPreference
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError, ValidationError

from . import clock, devpki
from .errors import Unavailable

log = logging.getLogger(__name__)

T = TypeVar("T")

#: What pyHanko raises, as the cause of its SigningError, when a certificate of the chain cannot be validated.
CertValidationErrors = (PathBuildingError, PathValidationError, ValidationError)
#: The signature field of the seal in every document.
FIELD = "Zegel"
#: Where the development authority is kept, inside the instance folder.
DEVELOPMENT_FOLDER = "seal"


class SealMisconfigured(RuntimeError):
    """The seal or the time-stamping authority is not configured, or cannot be loaded: the app does not start."""


@dataclass(frozen=True)
class Attachment:
    """A file embedded in a sealed document (the seal covers it)."""

    name: str
    data: bytes
    mime_type: str
    description: str


@dataclass(frozen=True)
class Seal:
    """The signer and the time-stamper, and what to say about them."""

    signer: signers.Signer
    timestamper: TimeStamper
    #: A development authority made by the app (not trusted by anyone).
    development: bool
    #: The roots the seal's and the time-stamping authority's certificates chain to (from the seal's own chain and
    #: TSA_TRUST_ROOTS): with them the seal embeds the validation data it can fetch (PAdES B-LT).
    roots: tuple[asn1_x509.Certificate, ...] = ()

    @property
    def certificate_der(self) -> bytes:
        certificate = self.signer.signing_cert
        assert certificate is not None  # both loaders give one
        return certificate.dump()

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the seal's certificate in hexadecimal, as pyHanko's validation report prints it."""
        return hashlib.sha256(self.certificate_der).hexdigest()

    @property
    def subject(self) -> str:
        certificate = self.signer.signing_cert
        assert certificate is not None
        return str(certificate.subject.human_friendly)


def configure(app: Flask) -> None:
    """Check the seal's settings at start-up (production refuses to start without them); make the development
    authority on first start when none is configured outside production. The keys are loaded at first use."""
    config = app.config
    production = config.get("DPA_ENV") == "production"
    has_seal = bool(config.get("SEAL_PKCS12") or config.get("SEAL_PKCS11_MODULE"))
    if production and not (has_seal and config.get("TSA_URL")):
        raise SealMisconfigured(
            "No seal or no time-stamping authority. With DPA_ENV=production every document is sealed: set "
            "SEAL_PKCS12 and SEAL_PKCS12_PASSWORD (or SEAL_PKCS11_MODULE and the other SEAL_PKCS11_ settings) "
            "and TSA_URL (README, 'The seal')."
        )
    if not has_seal or not config.get("TSA_URL"):
        authority = devpki.Authority(Path(app.instance_path) / DEVELOPMENT_FOLDER)
        if not authority.exists():
            devpki.make_authority(authority.folder, organisation="dpa_manager", now=clock.now())
            print(
                f"dpa_manager: a development seal and time-stamping authority were made in {authority.folder}; "
                "documents sealed with them are trusted by no one (README, 'The seal').",
                file=sys.stderr,
            )
    roots = config.get("SIGNATURE_TRUST_ROOTS")
    if roots and not _readable_roots(roots):
        raise SealMisconfigured(
            f"SIGNATURE_TRUST_ROOTS: {roots} is not a folder with at least one readable certificate (.pem, .crt, "
            ".cer or .der)."
        )
    if production:
        load(app)  # a wrong passphrase or an unreadable file stops the start, not the first countersignature


def _readable_roots(folder: str) -> bool:
    try:
        return bool(trust_roots(folder))
    except (OSError, ValueError):
        return False


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


def load(app: Flask) -> Seal:
    """Return the app's seal, loading it on first use."""
    seal = app.extensions.get("dpa_seal")
    if seal is None:
        seal = app.extensions["dpa_seal"] = _load(app.config, Path(app.instance_path) / DEVELOPMENT_FOLDER)
    return seal


def current() -> Seal:
    return load(current_app)


def _load(config, development_folder: Path) -> Seal:
    authority = devpki.Authority(development_folder)
    if config.get("SEAL_PKCS11_MODULE"):
        signer = _pkcs11_signer(config)
    elif config.get("SEAL_PKCS12"):
        signer = _pkcs12_signer(Path(config["SEAL_PKCS12"]), config.get("SEAL_PKCS12_PASSWORD") or "")
    else:
        signer = _pkcs12_signer(authority.seal, authority.password)
    timestamper: TimeStamper
    if config.get("TSA_URL"):
        timestamper = HTTPTimeStamper(config["TSA_URL"], timeout=int(config.get("TSA_TIMEOUT_SECONDS") or 10))
    else:
        timestamper = devpki.local_timestamper(authority)
    development = not (config.get("SEAL_PKCS12") or config.get("SEAL_PKCS11_MODULE")) or not config.get("TSA_URL")
    return Seal(signer=signer, timestamper=timestamper, development=development, roots=_roots(signer, config))


def _roots(signer: signers.Signer, config) -> tuple[asn1_x509.Certificate, ...]:
    """The self-issued certificates of the seal's chain, and those of TSA_TRUST_ROOTS."""
    found = [c for c in signer.cert_registry if c.subject == c.issuer]
    if config.get("TSA_TRUST_ROOTS"):
        data = Path(config["TSA_TRUST_ROOTS"]).read_bytes()
        found += [
            asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
            for c in x509.load_pem_x509_certificates(data)
        ]
    unique = {c.sha256: c for c in found}
    return tuple(unique.values())


def _pkcs12_signer(path: Path, password: str) -> signers.SimpleSigner:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SealMisconfigured(f"SEAL_PKCS12: cannot read {path}: {error.strerror}") from error
    try:
        return signers.SimpleSigner.load_pkcs12_data(data, other_certs=(), passphrase=password.encode())
    except (ValueError, TypeError) as error:
        raise SealMisconfigured(
            f"SEAL_PKCS12: {path} is not a PKCS#12 file that SEAL_PKCS12_PASSWORD opens ({error})"
        ) from error


def _pkcs11_signer(config) -> signers.Signer:
    try:
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign import pkcs11  # needs python-pkcs11: pip install 'dpa_manager[pkcs11]'
    except ImportError as error:
        raise SealMisconfigured(
            "SEAL_PKCS11_MODULE is set but python-pkcs11 is not installed: pip install 'dpa_manager[pkcs11]'"
        ) from error
    try:
        token = config.get("SEAL_PKCS11_TOKEN")
        session = pkcs11.open_pkcs11_session(
            config["SEAL_PKCS11_MODULE"],
            token_criteria=TokenCriteria(label=token) if token else None,
            user_pin=config.get("SEAL_PKCS11_PIN"),
        )
        return pkcs11.PKCS11Signer(
            session,
            cert_label=config.get("SEAL_PKCS11_CERT") or config.get("SEAL_PKCS11_KEY"),
            key_label=config.get("SEAL_PKCS11_KEY"),
            use_raw_mechanism=bool(config.get("SEAL_PKCS11_RAW")),
        )
    except Exception as error:  # the token library's own errors, of many kinds
        raise SealMisconfigured(f"SEAL_PKCS11: the token cannot be opened: {error!r}") from error


def seal_pdf(data: bytes, *, reason: str, attachments: Sequence[Attachment] = (), at: datetime | None = None) -> bytes:
    """Return the PDF `data` with `attachments` embedded and the processor's seal with a timestamp over it all.

    `at` is the moment the document is issued (the attachments' dates, when there are any). Raises Unavailable when the
    time-stamping authority cannot be reached or refuses: nothing is issued without its timestamp.
    """
    seal = current()
    try:
        return outside_event_loop(lambda: _sign(seal, data, attachments, reason, at))
    except (OSError, ValueError, SigningError) as error:  # no timestamp (refused, down, garbage), or not signable
        current_app.logger.warning("sealing failed, no timestamp from %s: %r", current_app.config.get("TSA_URL"), error)
        raise Unavailable(
            _(
                "Het document kon niet verzegeld worden: de tijdstempeldienst antwoordt niet. Er is niets "
                "gewijzigd; probeer het zo dadelijk opnieuw."
            )
        ) from error


def _writer(data: bytes, attachments: Sequence[Attachment], at: datetime | None) -> IncrementalPdfFileWriter:
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    for attachment in attachments:
        embedded = embed.EmbeddedFileObject.from_file_data(
            writer,
            data=attachment.data,
            mime_type=attachment.mime_type,
            params=embed.EmbeddedFileParams(creation_date=at, modification_date=at),
        )
        embed.embed_file(
            writer,
            embed.FileSpec(
                file_spec_string=attachment.name,
                file_name=attachment.name,
                embedded_data=embedded,
                description=attachment.description,
            ),
        )
    return writer


def _sign(seal: Seal, data: bytes, attachments: Sequence[Attachment], reason: str, at: datetime | None) -> bytes:
    """Seal as PAdES B-LT when the seal's and the time-stamping authority's certificates can be validated against
    the known roots (the certificates and any revocation data that can be fetched go into the document security
    store), else as PAdES B-T, saying so in the log."""

    def sign(context: ValidationContext | None) -> bytes:
        metadata = signers.PdfSignatureMetadata(
            field_name=FIELD,
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            reason=reason,
            embed_validation_info=context is not None,
            validation_context=context,
            # the validation data in the signature's own revision: the seal covers the whole file, as before
            dss_settings=DSSContentSettings(
                placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE, include_vri=False
            ),
        )
        writer = _writer(data, attachments, at)
        return signers.sign_pdf(writer, metadata, signer=seal.signer, timestamper=seal.timestamper).getvalue()

    if seal.roots:
        # soft-fail: revocation data that cannot be fetched is left out rather than stopping the seal
        context = ValidationContext(trust_roots=list(seal.roots), allow_fetching=True, revocation_mode="soft-fail")
        try:
            return sign(context)
        except SigningError as error:
            if not isinstance(error.__cause__, CertValidationErrors):
                raise
            # the module's logger, not the app's: this may run in a thread of its own (outside_event_loop)
            log.warning("sealed as PAdES B-T: the chain could not be validated (%r)", error.__cause__)
    return sign(None)


def outside_event_loop(work: Callable[[], T]) -> T:
    """Run `work` here, or in a thread of its own when this thread runs an event loop: pyHanko's signing runs
    one of its own (asyncio.run), which cannot start inside another (a caller that drives a browser does)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()
