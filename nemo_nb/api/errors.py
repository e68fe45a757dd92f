"""Client errors: one class per protocol code and HTTP status, each saying what to do.

Messages never contain a token: they are built from the server's message and our own words.
Transport failures are typed too: ``NemoConnectionError`` (and its ``NemoTimeout`` and
``StreamDropped``), raised by the client instead of httpx's own exceptions.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from nemo_nb.formats import ACCEPTED_TEXT


class NemoError(Exception):
    """Base class: ``code`` (protocol code or HTTP status), ``status`` (HTTP), a message with the fix."""

    code: int | None = None
    hint = ""

    def __init__(self, message: str = "", *, code: int | None = None, status: int | None = None,
                 data: dict[str, Any] | None = None):
        self.message = message or self.__class__.__doc__ or "NemoVideo error"
        if code is not None:
            self.code = code
        self.status = status
        self.data = data or {}
        text = self.message.rstrip(".")
        super().__init__(f"{text}. {self.hint}" if self.hint and self.hint not in text else self.message)


class NemoConnectionError(NemoError):
    """The server could not be reached, or the connection broke before its answer was complete."""

    hint = "Check the network and the URL; the embedded backend (Nemo.local(), %nemo connect --local) works offline."

    def __init__(self, message: str = "", *, origin: str = "", reason: str = "", **kw: Any):
        self.origin = origin  # scheme://host:port only: never a path, a query or credentials
        self.reason = reason  # the kind of failure, e.g. "ConnectError: [Errno 111] Connection refused"
        super().__init__(message, **kw)


class NemoTimeout(NemoConnectionError):
    """The server did not answer in time."""

    hint = "The server may be busy or unreachable: try again in a moment."


class StreamDropped(NemoConnectionError):
    """An answer broke off after it had started: a streamed reply or a download."""

    hint = "A message is never re-sent: check the session's state before asking again."


class AuthError(NemoError):
    """The token was refused (1001)."""

    code = 1001
    hint = "A new anonymous token is fetched automatically; if you set NEMO_TOKEN, set a fresh one or unset it."


class SessionNotFound(NemoError):
    """The session is gone (1002)."""

    code = 1002
    hint = "A new session was made: upload your media again."


class OutOfCredits(NemoError):
    """Not enough credits (2001). ``registration_url`` is ``$WEB/register?bind=<user id>``: the user id
    from the error's data when the server sends one, else the client's own."""

    code = 2001

    def __init__(self, message: str = "", *, web_url: str | None = None, user_id: str | None = None, **kw: Any):
        data = kw.get("data") or {}
        bind = data.get("user_id") or user_id
        self.registration_url: str | None = (
            f"{web_url.rstrip('/')}/register?bind={quote(str(bind), safe='')}" if web_url and bind else None)
        if data.get("embedded"):  # our embedded backend: its message says how to add offline credits
            self.hint = ""
        elif self.registration_url is None:
            self.hint = "Register, or top up a registered account, to get more credits."
        elif self.registration_url not in message:
            self.hint = f"Register to get more credits: {self.registration_url} (registered accounts top up)."
        super().__init__(message, **kw)


class EmbeddedOnly(NemoError):
    """Something only the embedded backend does (adding offline credits) was asked of another server."""


class UnsupportedFile(NemoError):
    """Unsupported file type (4001)."""

    code = 4001
    hint = f"Accepted types: {ACCEPTED_TEXT}."


class FileTooLarge(NemoError):
    """File too large (4002)."""

    code = 4002
    hint = "Compress or trim the video (the limit is 500 MB) and upload it again."


class MissingClientId(NemoError):
    """HTTP 400: the anonymous-token request had no X-Client-Id."""

    code = 400
    hint = "Set NEMO_CLIENT_ID or let nemo_nb make one."


class ExportBlocked(NemoError):
    """HTTP 402: the plan cannot export."""

    code = 402
    hint = "This is a plan problem, not credits: register or upgrade your plan to unlock export."


class RateLimited(NemoError):
    """HTTP 429: rate limited."""

    code = 429
    hint = "Wait a little and try again (anonymous tokens: one per client per 7 days, 10 per address)."

    @property
    def retry_after(self) -> float | None:
        return self.data.get("retry_after")


class BadRequest(NemoError):
    """The server refused the request as malformed."""

    code = 4000


class SessionBusy(NemoError):
    """A turn is already running in this session."""

    code = 4029
    hint = "Wait for the running reply to finish; the message was not sent twice."


class RenderFailed(NemoError):
    """The render failed, also after one retry."""

    hint = "Check the timeline with s.draft.summary() and export again."


class NothingToExport(NemoError):
    """The draft has nothing to render."""

    code = 4005
    hint = "Upload a video and ask the agent to put it on the timeline first."


class NotAvailable(NemoError):
    """The server does not offer this: an extension of nemo_nb's embedded backend asked of another server."""

    hint = "It comes with the embedded backend: Nemo.local(), %nemo connect --local or nemo-nb serve."


class StreamTimeout(NemoError):
    """The agent sent only heartbeats for too long, or the turn passed the 15-minute cap."""

    hint = "The turn may still finish on the server: check s.state() before sending again."


class AgentError(NemoError):
    """The agent reported an error in the stream."""


class ServerError(NemoError):
    """The server failed (HTTP 5xx) or answered something that is not the protocol."""

    hint = "Try again in a moment."


CLASSES: dict[int, type[NemoError]] = {
    cls.code: cls for cls in (AuthError, SessionNotFound, OutOfCredits, UnsupportedFile, FileTooLarge,
                               MissingClientId, ExportBlocked, RateLimited, SessionBusy, NothingToExport)
}


def error_for(status: int, body: Any, retry_after: float | None = None, *, web_url: str | None = None,
              user_id: str | None = None) -> NemoError:
    """The error an HTTP answer stands for: by envelope code first, then by HTTP status.

    ``web_url`` and ``user_id`` (the client's) make the registration link of an ``OutOfCredits``."""
    body = body if isinstance(body, dict) else {}
    code = body.get("code")
    message = str(body.get("message") or body.get("msg") or body.get("error") or f"HTTP {status}")
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    if retry_after is not None:
        data = {**data, "retry_after": retry_after}
    cls = CLASSES.get(code) if isinstance(code, int) else None
    if cls is None:
        cls = CLASSES.get(status) or (ServerError if status >= 500 else BadRequest)
    code = code if isinstance(code, int) else status
    if cls is OutOfCredits:
        return OutOfCredits(message, web_url=web_url, user_id=user_id, code=code, status=status, data=data)
    return cls(message, code=code, status=status, data=data)
