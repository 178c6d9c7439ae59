"""E-mail: the SMTP settings, safe message building and the two ways to deliver.

Settings come from environment variables, like the store's (:mod:`alliance_kit.config`):

=================================  =====================================================
``ALLIANCE_KIT_SMTP_HOST``         the mail server (required to send)
``ALLIANCE_KIT_SMTP_PORT``         default 587 (starttls), 465 (ssl) or 25 (none)
``ALLIANCE_KIT_SMTP_TLS``          ``starttls`` (default), ``ssl`` or ``none``
``ALLIANCE_KIT_SMTP_USER``         log in as this user (none: no login)
``ALLIANCE_KIT_SMTP_PASSWORD``     the password, or
``ALLIANCE_KIT_SMTP_PASSWORD_FILE`` a file holding it (first line)
``ALLIANCE_KIT_MAIL_FROM``         the sender, e.g. ``Alliance office <alliances@corp.example>``
``ALLIANCE_KIT_SMTP_TIMEOUT``      seconds to wait for the server (default 30)
=================================  =====================================================

The password is never taken from the command line (where ``ps`` and shell histories
show it). Every header value built here is checked: an address must be one plain
``local@domain`` and a display name or subject loses any line break, so no text a user
typed can add a header or a recipient (header injection). The TLS modes verify the
server's certificate against the system's trust store.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Protocol

from alliance_kit.records.model import address_fault

ENV_HOST = "ALLIANCE_KIT_SMTP_HOST"
ENV_PORT = "ALLIANCE_KIT_SMTP_PORT"
ENV_TLS = "ALLIANCE_KIT_SMTP_TLS"
ENV_USER = "ALLIANCE_KIT_SMTP_USER"
ENV_PASSWORD = "ALLIANCE_KIT_SMTP_PASSWORD"
ENV_PASSWORD_FILE = "ALLIANCE_KIT_SMTP_PASSWORD_FILE"
ENV_FROM = "ALLIANCE_KIT_MAIL_FROM"
ENV_TIMEOUT = "ALLIANCE_KIT_SMTP_TIMEOUT"
TLS_MODES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}

_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x85\u2028\u2029]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class MailConfigError(ValueError):
    """A missing or unusable SMTP setting (names the variable and what is wrong)."""


class MailServerError(RuntimeError):
    """The mail server cannot be used at all (unreachable, TLS or login refused): the run
    stops, naming the server."""


class RecipientRefused(RuntimeError):
    """The server refused one message (its recipient, say); the others go on."""


def one_line(text: str | None, limit: int = 200) -> str:
    """A header-safe single line: line breaks become spaces, other control characters go."""
    flat = _CONTROL.sub("", _LINE_BREAKS.sub(" ", text or ""))
    flat = " ".join(flat.split())
    return flat[:limit]


def mailbox(name: str | None, address: str) -> Address:
    """``Name <address>`` for a header; the address must pass :func:`address_fault`."""
    if fault := address_fault(address):
        raise RecipientRefused(fault)
    local, _, domain = address.strip().rpartition("@")
    return Address(display_name=one_line(name), username=local, domain=domain)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    tls: str
    user: str | None
    password: str | None = field(repr=False)
    sender: Address
    timeout: float = 30.0

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"


def sender_from(env: Mapping[str, str] | None = None) -> Address:
    """The From address (``$ALLIANCE_KIT_MAIL_FROM``, ``Name <addr>`` or ``addr``)."""
    env = os.environ if env is None else env
    raw = (env.get(ENV_FROM) or "").strip()
    if not raw:
        raise MailConfigError(
            f"set {ENV_FROM} to the sender's address, "
            "e.g. 'Alliance office <alliances@corp.example>'"
        )
    m = re.fullmatch(r"(?:(.*?)\s*<([^<>]+)>|([^<>\s]+))", raw)
    address = (m.group(2) or m.group(3)) if m else raw
    if address_fault(address):
        raise MailConfigError(f"{ENV_FROM}={raw!r} is not an address like name@example.com")
    return mailbox((m.group(1) or "").strip().strip('"') if m else "", address)


def settings_from_env(env: Mapping[str, str] | None = None) -> SmtpSettings:
    """Read and check the SMTP settings; every problem is a MailConfigError naming the
    variable."""
    env = os.environ if env is None else env
    host = (env.get(ENV_HOST) or "").strip()
    if not host:
        raise MailConfigError(f"set {ENV_HOST} to your mail server (or use --dry-run)")
    tls = (env.get(ENV_TLS) or "starttls").strip().lower()
    if tls not in TLS_MODES:
        raise MailConfigError(f"{ENV_TLS}={tls!r}: choose one of {', '.join(TLS_MODES)}")
    raw_port = (env.get(ENV_PORT) or "").strip()
    try:
        port = int(raw_port) if raw_port else DEFAULT_PORTS[tls]
    except ValueError:
        port = 0
    if not 0 < port < 65536:
        raise MailConfigError(f"{ENV_PORT}={raw_port!r} is not a port number (1-65535)")
    try:
        timeout = float(env.get(ENV_TIMEOUT) or 30)
    except ValueError:
        raise MailConfigError(f"{ENV_TIMEOUT} must be a number of seconds") from None
    user = (env.get(ENV_USER) or "").strip() or None
    if user and tls == "none" and host not in ("localhost", "127.0.0.1", "::1"):
        raise MailConfigError(
            f"{ENV_TLS}=none would send the password for {ENV_USER} unencrypted to {host}: "
            "use starttls or ssl (none with a login only for a relay on this machine)"
        )
    password = _password(env) if user else None
    return SmtpSettings(host, port, tls, user, password, sender_from(env), timeout)


def _password(env: Mapping[str, str]) -> str:
    if env.get(ENV_PASSWORD):
        return env[ENV_PASSWORD]
    path = (env.get(ENV_PASSWORD_FILE) or "").strip()
    if not path:
        raise MailConfigError(
            f"{ENV_USER} is set: give the password in {ENV_PASSWORD} or in a file named by "
            f"{ENV_PASSWORD_FILE} (never on the command line)"
        )
    try:
        lines = Path(path).expanduser().read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise MailConfigError(f"{ENV_PASSWORD_FILE}: cannot read {path}: {exc.strerror}") from None
    if not lines or not lines[0]:
        raise MailConfigError(f"{ENV_PASSWORD_FILE}: {path} is empty")
    return lines[0]


# --- messages --------------------------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes
    maintype: str = "application"
    subtype: str = "pdf"


def compose(
    sender: Address,
    to_name: str | None,
    to_address: str,
    subject: str,
    text: str,
    html: str,
    attachments: tuple[Attachment, ...] = (),
) -> EmailMessage:
    """A plain-text and HTML message (multipart/alternative), with attachments after.

    ``html`` must already be escaped by the caller; headers are made safe here."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = mailbox(to_name, to_address)
    msg["Subject"] = one_line(subject, 250)
    msg["Date"] = format_datetime(_now_local())
    msg["Message-ID"] = make_msgid(domain=sender.domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    for a in attachments:
        msg.add_attachment(
            a.data, maintype=a.maintype, subtype=a.subtype, filename=one_line(a.filename)
        )
    return msg


def _now_local():
    import datetime as dt

    return dt.datetime.now(dt.UTC)


# --- delivery --------------------------------------------------------------------------


class Mailer(Protocol):
    """Delivers one message, or raises RecipientRefused (that message only) or
    MailServerError (none can be delivered)."""

    dry_run: bool

    def send(self, msg: EmailMessage) -> None: ...


class SmtpMailer:
    """One SMTP connection for a run, opened on first use; ``close()`` ends it."""

    dry_run = False

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _fail(self, what: str) -> MailServerError:
        return MailServerError(f"mail server {self.settings.server}: {what}")

    def connect(self) -> None:
        """Connect, secure and log in, so a bad setting stops the run before any message."""
        if self._smtp is not None:
            return
        s = self.settings
        context = ssl.create_default_context()
        try:
            if s.tls == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=s.timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            try:
                if s.tls == "starttls":
                    smtp.starttls(context=context)
                if s.user:
                    smtp.login(s.user, s.password or "")
            except BaseException:
                smtp.close()
                raise
        except smtplib.SMTPAuthenticationError as exc:
            raise self._fail(f"login as {s.user!r} refused ({_reply(exc)})") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise self._fail(f"{exc} (check {ENV_TLS})") from None
        except smtplib.SMTPException as exc:
            raise self._fail(f"{type(exc).__name__}: {_reply(exc)}") from None
        except ssl.SSLError as exc:
            raise self._fail(f"TLS failed ({exc.reason or exc}); check {ENV_TLS}") from None
        except TimeoutError:
            raise self._fail(f"no answer within {s.timeout:g} s") from None
        except OSError as exc:
            raise self._fail(f"unreachable ({exc.strerror or exc})") from None
        self._smtp = smtp

    def send(self, msg: EmailMessage) -> None:
        self.connect()
        assert self._smtp is not None
        try:
            refused = self._smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            detail = "; ".join(f"{a}: {_reply_of(*r)}" for a, r in exc.recipients.items())
            raise RecipientRefused(f"refused by the server ({detail})") from None
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            if exc.smtp_code >= 500:
                raise RecipientRefused(f"refused by the server ({_reply(exc)})") from None
            raise self._fail(f"message refused for now ({_reply(exc)})") from None
        except smtplib.SMTPServerDisconnected:
            self._smtp = None
            raise self._fail("the server closed the connection") from None
        except (OSError, smtplib.SMTPException) as exc:
            self._smtp = None
            raise self._fail(f"sending failed ({exc})") from None
        if refused:  # only some recipients refused: we send one recipient per message
            raise RecipientRefused(f"refused by the server ({refused})")

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None


def _reply(exc: smtplib.SMTPException) -> str:
    code = getattr(exc, "smtp_code", None)
    text = getattr(exc, "smtp_error", b"")
    return _reply_of(code, text) if code else str(exc)


def _reply_of(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {one_line(text)}"


class FolderMailer:
    """``--dry-run``: each message becomes ``NNN-kind-recipient.eml`` in a folder; nothing
    is sent."""

    dry_run = True

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.written: list[Path] = []

    def send(self, msg: EmailMessage) -> None:
        to = str(msg["To"].addresses[0].addr_spec)
        safe = re.sub(r"[^A-Za-z0-9@._-]", "_", f"{msg['X-Alliance-Kit-Kind']}-{to}")[:120]
        path = self.folder / f"{len(self.written) + 1:03d}-{safe}.eml"
        path.write_bytes(bytes(msg))
        self.written.append(path)

    def close(self) -> None:
        pass
