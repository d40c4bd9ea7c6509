"""A certificate authority of our own, for development and the tests: never for documents anyone relies on.

`make_authority` writes into a folder a root certificate, a seal (a PKCS#12 file with the seal's key and
certificate, as a processor receives it from a trust service provider) and a time-stamping authority's key and
certificate. `local_timestamper` answers timestamp requests with that authority's key inside the process, for the
development server, which has no time-stamping authority to call; the tests serve it over HTTP instead.
Certificates are made with `cryptography`; the timestamps by pyHanko's own test time-stamper.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

#: The root's certificate revocation list, when the authority was made with a CRL address.
CRL_FILE = "root.crl"
ROOT_FILE, SEAL_FILE, PASSWORD_FILE, TSA_CERT_FILE, TSA_KEY_FILE = (
    "root.pem",
    "seal.p12",
    "seal-password.txt",
    "tsa.pem",
    "tsa-key.pem",
)


@dataclass(frozen=True)
class Authority:
    """Where the files of a development authority are."""

    folder: Path

    @property
    def root(self) -> Path:
        return self.folder / ROOT_FILE

    @property
    def seal(self) -> Path:
        return self.folder / SEAL_FILE

    @property
    def password(self) -> str:
        return (self.folder / PASSWORD_FILE).read_text().strip()

    @property
    def tsa_certificate(self) -> Path:
        return self.folder / TSA_CERT_FILE

    def exists(self) -> bool:
        names = (ROOT_FILE, SEAL_FILE, PASSWORD_FILE, TSA_CERT_FILE, TSA_KEY_FILE)
        return all((self.folder / name).is_file() for name in names)


def name_of(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "BE"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def key_usage(**given: bool) -> x509.KeyUsage:
    flags = dict.fromkeys(
        (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )
    return x509.KeyUsage(**(flags | given))


def issue(
    subject: x509.Name,
    public_key,
    *,
    issuer: x509.Name,
    issuer_key,
    not_before: datetime,
    not_after: datetime,
    ca: bool = False,
    usage: x509.KeyUsage,
    extended: list | None = None,
    crl_url: str | None = None,
) -> x509.Certificate:
    """Issue a certificate for `public_key`, signed by `issuer_key`; `crl_url` is where its issuer's CRL is."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
        .add_extension(usage, critical=True)
    )
    if extended:
        builder = builder.add_extension(x509.ExtendedKeyUsage(extended), critical=True)
    if crl_url:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def make_authority(
    folder: Path, *, organisation: str, now: datetime, years: int = 10, crl_url: str | None = None
) -> Authority:
    """Write a root, a seal for `organisation` and a time-stamping authority into `folder`; return where.

    Valid from a day before `now` for `years` years. The seal's passphrase is random, in seal-password.txt. With
    `crl_url`, the seal's and the authority's certificates say their revocation list is there, and the root's
    (empty) list is written to root.crl, to be served at that address.
    """
    folder.mkdir(parents=True, exist_ok=True)
    start, end = now - timedelta(days=1), now + timedelta(days=365 * years)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = name_of(f"{organisation} development root (not trusted)", organisation)
    root = issue(
        root_name,
        root_key.public_key(),
        issuer=root_name,
        issuer_key=root_key,
        not_before=start,
        not_after=end,
        ca=True,
        usage=key_usage(key_cert_sign=True, crl_sign=True),
    )
    seal_key = ec.generate_private_key(ec.SECP256R1())
    seal = issue(
        name_of(f"{organisation} development seal (not trusted)", organisation),
        seal_key.public_key(),
        issuer=root_name,
        issuer_key=root_key,
        not_before=start,
        not_after=end,
        usage=key_usage(digital_signature=True, content_commitment=True),
        crl_url=crl_url,
    )
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # pyHanko's test time-stamper signs RSA
    tsa = issue(
        name_of(f"{organisation} development time-stamping authority (not trusted)", organisation),
        tsa_key.public_key(),
        issuer=root_name,
        issuer_key=root_key,
        not_before=start,
        not_after=end,
        usage=key_usage(digital_signature=True),
        extended=[ExtendedKeyUsageOID.TIME_STAMPING],
        crl_url=crl_url,
    )
    if crl_url:
        crl = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(root_name)
            .last_update(start)
            .next_update(end)
            .add_extension(x509.CRLNumber(1), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256())
        )
        (folder / CRL_FILE).write_bytes(crl.public_bytes(serialization.Encoding.DER))
    password = secrets.token_urlsafe(24)
    pem = serialization.Encoding.PEM
    (folder / ROOT_FILE).write_bytes(root.public_bytes(pem))
    (folder / TSA_CERT_FILE).write_bytes(tsa.public_bytes(pem))
    secret_files = {
        TSA_KEY_FILE: tsa_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        SEAL_FILE: pkcs12.serialize_key_and_certificates(
            b"seal", seal_key, seal, [root], serialization.BestAvailableEncryption(password.encode())
        ),
        PASSWORD_FILE: password.encode() + b"\n",
    }
    for name, content in secret_files.items():
        path = folder / name
        path.touch(mode=0o600)
        path.write_bytes(content)
    return Authority(folder)


def local_timestamper(authority: Authority) -> DummyTimeStamper:
    """A time-stamper that signs with the development authority's key in this process."""
    certificate = x509.load_pem_x509_certificate(authority.tsa_certificate.read_bytes())
    key = serialization.load_pem_private_key((authority.folder / TSA_KEY_FILE).read_bytes(), password=None)
    der = serialization.Encoding.DER
    root = x509.load_pem_x509_certificate(authority.root.read_bytes())
    return DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(certificate.public_bytes(der)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        ),
        certs_to_embed=SimpleCertificateStore.from_certs([asn1_x509.Certificate.load(root.public_bytes(der))]),
    )
