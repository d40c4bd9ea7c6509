"""The tests' certificate authority, with its time-stamping authority and revocation list served over HTTP on loopback.

One of each per test process: the authority is made once (devpki, valid 2000 to 2100 so that any test clock
falls inside it; its seal and time-stamping certificates name the root's revocation list at this service), and the
service answers RFC 3161 requests at `tsa_url()` with pyHanko's test time-stamper, as a real one does over HTTP,
and serves the root's (empty) CRL. Its clock is the test's (time-machine moves it too).
"""

from __future__ import annotations

import functools
import http.server
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path

from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko_certvalidator import ValidationContext

from dpa_manager import devpki


class _Handler(http.server.BaseHTTPRequestHandler):
    stamper = None  # set by authority()
    crl = b""  # the root's revocation list, set by authority()

    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.path != "/root.crl":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/pkix-crl")
        self.send_header("Content-Length", str(len(self.crl)))
        self.end_headers()
        self.wfile.write(self.crl)

    def do_POST(self):  # noqa: N802 (http.server's name)
        if self.headers.get("Content-Type") != "application/timestamp-query":
            self.send_error(415, "expected application/timestamp-query")
            return
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            request = tsp.TimeStampReq.load(body)
            request.native  # parse it all: garbage is refused here  # noqa: B018
            answer = type(self).stamper.request_tsa_response(request).dump()
        except ValueError as error:
            self.send_error(400, f"not a timestamp request: {error}")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@functools.cache
def _server() -> http.server.ThreadingHTTPServer:
    """The authority's HTTP service on loopback (once per process): its time-stamping and its revocation list."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Handler,), {}))
    threading.Thread(target=server.serve_forever, daemon=True, name="test-tsa").start()
    return server


def _address(path: str) -> str:
    return f"http://127.0.0.1:{_server().server_address[1]}{path}"


@functools.cache
def authority() -> devpki.Authority:
    folder = Path(tempfile.mkdtemp(prefix="dpa-test-pki-"))
    made = devpki.make_authority(
        folder,
        organisation="Testverwerker",
        now=datetime(2000, 1, 2, tzinfo=UTC),
        years=100,
        crl_url=_address("/root.crl"),
    )
    handler = _server().RequestHandlerClass
    handler.stamper = devpki.local_timestamper(made)  # type: ignore[attr-defined]
    handler.crl = (folder / devpki.CRL_FILE).read_bytes()  # type: ignore[attr-defined]
    return made


def tsa_url() -> str:
    """The time-stamping authority's URL (started, with the authority, once per process)."""
    authority()
    return _address("/tsa")


def seal_config() -> dict:
    """The settings that give an app the test seal and the test time-stamping authority (the same names as
    environment variables, for the app in a process a test starts)."""
    return {"SEAL_PKCS12": str(authority().seal), "SEAL_PKCS12_PASSWORD": authority().password, "TSA_URL": tsa_url()}


def root() -> asn1_x509.Certificate:
    certificate = x509.load_pem_x509_certificate(authority().root.read_bytes())
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def validation_context() -> ValidationContext:
    """Trust the test root and nothing else; fetch nothing."""
    return ValidationContext(trust_roots=[root()], allow_fetching=False)
