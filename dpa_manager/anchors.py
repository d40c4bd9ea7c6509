"""Anchors of the audit trail: the head of the hash chain, timestamped by the time-stamping authority.

Each event's hash covers its content and the hash before it, so the hash of the last event stands for the whole
chain up to it. An anchor is an RFC 3161 timestamp token over that hash (the SHA-256 value itself is the
message imprint), from the authority at TSA_URL: proof, from outside the processor, that the chain ended so at
that moment. Whoever rewrites an older event must recompute every hash after it, and the hash an anchor holds
then no longer matches the chain: `flask dpa audit-verify` says so, and anyone can check a token with openssl
(README, "Verifying a document").

The scheduler anchors every AUDIT_ANCHOR_MINUTES when the chain has grown; `flask dpa audit-anchor` at once.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from asn1crypto import cms, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from flask import current_app
from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
from pyhanko.sign.validation.status import TimestampSignatureStatus
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import LargeBinary, String, select
from sqlalchemy.orm import Mapped, mapped_column

from . import audit, devpki, seal
from .audit import AuditEvent, AuditHead
from .bulk import conflict_insert
from .db_types import UTCDateTime
from .errors import Unavailable
from .extensions import Model, db

#: The action of the audit event that records an anchor.
ANCHORED = "anchored"


class AuditAnchor(Model):
    """A timestamp token over the hash of the event at `seq`."""

    __tablename__ = "audit_anchors"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The last event of the chain when it was anchored; one anchor per event.
    seq: Mapped[int] = mapped_column(unique=True)
    #: That event's hash (hexadecimal): the message imprint of the token.
    event_hash: Mapped[str] = mapped_column(String(64))
    #: The time-stamping authority's time in the token.
    stamped_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The token as the authority gave it (a CMS SignedData in a ContentInfo, DER).
    token: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<AuditAnchor {self.seq} {self.stamped_at}>"

    def response_der(self) -> bytes:
        """The token wrapped as a TimeStampResp (.tsr), the form `openssl ts -verify -in` reads."""
        content = cms.ContentInfo.load(self.token)
        return tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": content}).dump()


def _gen_time(token: cms.ContentInfo) -> datetime:
    return token["content"]["encap_content_info"]["content"].parsed["gen_time"].native


def anchor(now: datetime) -> AuditAnchor | None:
    """Timestamp the head of the chain unless it is anchored already; return the new anchor, or None.

    Safe to run in several schedulers at once: one anchor per event (a unique seq), a second is ignored. Raises
    Unavailable when the time-stamping authority does not answer.
    """
    head = db.session.execute(select(AuditHead.seq, AuditHead.last_hash).where(AuditHead.id == 1)).one()
    last = latest()
    if head.seq == 0 or (last is not None and last.seq == head.seq):
        return None
    if last is not None and head.seq == last.seq + 1:
        newest = db.session.scalar(select(AuditEvent.action).where(AuditEvent.seq == head.seq))
        if newest == ANCHORED:
            return None  # nothing happened since the last anchor but its own record
    stamper = seal.current().timestamper
    try:
        token = seal.outside_event_loop(
            lambda: asyncio.run(stamper.async_timestamp(bytes.fromhex(head.last_hash), "sha256"))
        )
    except (OSError, ValueError) as error:  # down, refused, or an answer that is not a timestamp
        current_app.logger.warning("audit anchor: no timestamp: %r", error)
        raise Unavailable("De tijdstempeldienst antwoordt niet; het anker volgt bij de volgende poging.") from error
    der, stamped_at = token.dump(), _gen_time(token)
    made = db.session.execute(
        conflict_insert(AuditAnchor)
        .values(seq=head.seq, event_hash=head.last_hash, stamped_at=stamped_at, token=der, created_at=now)
        .on_conflict_do_nothing()
        .returning(AuditAnchor.id)
    ).first()
    if made is not None:  # the chain records each anchor, so that one removed later is missed
        audit.record(
            at=now,
            actor=None,
            object_type="audit",
            object_id=head.seq,
            action=ANCHORED,
            after={"event_hash": head.last_hash, "stamped_at": stamped_at.isoformat(), "token_sha256": _sha(der)},
        )
    return db.session.scalar(select(AuditAnchor).where(AuditAnchor.seq == head.seq))


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def missing(anchors: list[AuditAnchor], up_to: int) -> list[int]:
    """The anchored events the chain (up to `up_to`) records whose anchor is gone or not the one recorded."""
    kept = {a.seq: _sha(a.token) for a in anchors}
    events = db.session.execute(
        select(AuditEvent.object_id, AuditEvent.after).where(AuditEvent.action == ANCHORED, AuditEvent.seq <= up_to)
    )
    return [seq for seq, after in events if kept.get(seq) != (after or {}).get("token_sha256")]


def of_event(seq: int) -> AuditAnchor | None:
    return db.session.scalar(select(AuditAnchor).where(AuditAnchor.seq == seq))


def latest() -> AuditAnchor | None:
    return db.session.scalar(select(AuditAnchor).order_by(AuditAnchor.seq.desc()).limit(1))


@dataclass
class AnchorCheck:
    anchor: AuditAnchor
    #: The token is the authority's, unchanged, over the hash it names.
    intact: bool
    #: The authority's certificate chains to a trusted root (None: no root to check against).
    trusted: bool | None
    #: The chain as it is now has that hash at that event.
    matches: bool


def trust_roots() -> list[asn1_x509.Certificate] | None:
    """The roots the time-stamping authority's certificate must chain to: TSA_TRUST_ROOTS (a PEM file), or the
    development authority's root when its time-stamper is the one in use; None when neither is known."""
    configured = current_app.config.get("TSA_TRUST_ROOTS")
    if configured:
        data = Path(configured).read_bytes()
    elif seal.current().development and not current_app.config.get("TSA_URL"):
        data = devpki.Authority(Path(current_app.instance_path) / seal.DEVELOPMENT_FOLDER).root.read_bytes()
    else:
        return None
    return [
        asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
        for c in x509.load_pem_x509_certificates(data)
    ]


def _token_status(
    token_der: bytes, imprint: bytes, roots: list[asn1_x509.Certificate]
) -> tuple[bool, bool, datetime | None]:
    """Whether a token is intact and valid over `imprint`, whether it is trusted (its authority's certificate as
    it was at the token's time: it may have expired since), and its time."""
    try:
        token = cms.ContentInfo.load(token_der)
        stamped_at = _gen_time(token)
        context = ValidationContext(trust_roots=roots, allow_fetching=False, moment=stamped_at)
        found = seal.outside_event_loop(
            lambda: asyncio.run(
                validate_tst_signed_data(token["content"], context, expected_tst_imprint=lambda _: imprint)
            )
        )
        status = TimestampSignatureStatus(**found)
        return status.intact and status.valid, status.trusted, stamped_at
    except (ValueError, TypeError, KeyError):  # bytes that are not a token (asn1crypto's and pyHanko's errors)
        return False, False, None


def check(anchors: list[AuditAnchor], hashes: dict[int, str]) -> list[AnchorCheck]:
    """Check each anchor's token, and its hash against `hashes` (seq → the event's hash as recomputed)."""
    roots = trust_roots()
    checks = []
    for item in anchors:
        intact, trusted, stamped_at = _token_status(item.token, bytes.fromhex(item.event_hash), roots or [])
        checks.append(
            AnchorCheck(
                anchor=item,
                intact=intact and stamped_at == item.stamped_at,
                trusted=trusted if roots else None,
                matches=hashes.get(item.seq) == item.event_hash,
            )
        )
    return checks


def all_anchors() -> list[AuditAnchor]:
    return list(db.session.scalars(select(AuditAnchor).order_by(AuditAnchor.seq)))


def event_hashes(seqs: list[int]) -> dict[int, str]:
    return dict(db.session.execute(select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.seq.in_(seqs))).all())
