"""Real SMTP servers (aiosmtpd) on 127.0.0.1 that keep what they receive.

Import the fixtures into a test module: ``from tests.smtp import smtp_server``. The TLS
variants use a throwaway self-signed certificate made by the ``openssl`` command (the
tests that need it are skipped without one); ``trust_test_certificate`` makes Python's
default verification accept it through ``SSL_CERT_FILE``, so clients still verify.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"


@dataclass
class Received:
    envelope_from: str
    envelope_to: list[str]
    message: EmailMessage
    over_tls: bool


@dataclass
class SMTPServer:
    """What a test sees: where the server listens and what arrived."""

    port: int
    received: list[Received] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    # What the server answers to DATA; a test may set a refusal.
    reply: str = "250 OK"

    def url(self, userinfo: str = "", *, scheme: str = "smtp") -> str:
        return f"{scheme}://{userinfo}{'@' if userinfo else ''}{HOST}:{self.port}"

    # aiosmtpd calls this from its own thread; list.append is atomic, so no lock.
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if not self.reply.startswith("250"):
            return self.reply
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        tls = server.transport.get_extra_info("ssl_object") is not None
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed, tls))
        return "250 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=True)


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it, then we let it go)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running(**options: Any) -> Iterator[SMTPServer]:
    """A server accepting any AUTH login, even in clear (tests check what a client sends)."""
    server = SMTPServer(port=free_port())
    controller = Controller(
        server,
        hostname=HOST,
        port=server.port,
        authenticator=server.authenticate,
        auth_require_tls=False,
        **options,
    )
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    """Plain SMTP, no STARTTLS offered."""
    with running() as server:
        yield server


@pytest.fixture(scope="session")
def test_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(  # noqa: S603  (fixed arguments, no shell)
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=IP:{HOST}",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def starttls_server(test_certificate: tuple[Path, Path]) -> Iterator[SMTPServer]:
    """SMTP that offers STARTTLS (but does not insist on it)."""
    with running(tls_context=_server_context(test_certificate)) as server:
        yield server


@pytest.fixture
def smtps_server(test_certificate: tuple[Path, Path]) -> Iterator[SMTPServer]:
    """SMTP over TLS from the first byte (smtps://)."""
    with running(ssl_context=_server_context(test_certificate)) as server:
        yield server


@pytest.fixture
def trust_test_certificate(
    test_certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(test_certificate[0]))
