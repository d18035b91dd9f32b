"""Who may use the dashboard, and what its pages may load or do.

Every name shown comes from AWS or from files anyone can write, so besides Jinja2's
autoescaping each response carries a strict Content-Security-Policy: only the package's own
stylesheet and script (``'self'``, no inline script or style), nothing framed, forms posted
only back here. Changes (suppress, unsuppress) are POST forms carrying the per-process CSRF
token, which another site cannot read; a request whose ``Origin`` or ``Sec-Fetch-Site`` names
another site is refused as well.

On a loopback address only the ``Host`` names of that address are answered (a DNS-rebinding
page cannot reach the store). Any other address needs an access token: given once as
``?token=…`` (it then moves into an ``HttpOnly``, ``SameSite=Strict`` cookie) or as
``Authorization: Bearer …``; each token has a label, and the audit log names it.
"""

from __future__ import annotations

import getpass
import hmac
import ipaddress
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ecs_exposure.errors import ConfigError

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
"""``Referrer-Policy: same-origin``, not ``no-referrer``: under ``no-referrer`` a browser sends
``Origin: null`` with the dashboard's own forms, which the CSRF check would then refuse."""
COOKIE = "ecs_exposure_token"
MIN_TOKEN = 16
"""Characters: a shorter access token could be guessed."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) is only reachable from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Access:
    """The dashboard's access rules: the CSRF token of this process, the access tokens
    (token → label; none on loopback unless given), and the host names answered."""

    tokens: Mapping[str, str] = field(default_factory=dict)
    hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "::1", "[::1]")
    """``Host`` names answered; ``("*",)`` answers any (only with tokens)."""
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    local_user: str = field(default_factory=lambda: _user())

    def actor(self, label: str | None) -> str:
        """Who made a change, for the audit log: the token's label, or the local user."""
        if label is not None:
            return f"dashboard token {label}"
        return f"dashboard (local user {self.local_user})"

    def label_of(self, token: str | None) -> str | None:
        """The label of a valid access token, else ``None`` (compared in constant time)."""
        if not token:
            return None
        for known, label in self.tokens.items():
            if hmac.compare_digest(known.encode(), token.encode()):
                return label
        return None

    def csrf_ok(self, sent: str | None) -> bool:
        """Whether a form carried this process's CSRF token."""
        return bool(sent) and hmac.compare_digest(self.csrf.encode(), str(sent).encode())


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def read_tokens(path: Path) -> dict[str, str]:
    """Access tokens from a file: one ``LABEL TOKEN`` per line (``#`` comments, blank lines
    ignored); a bad line is a :class:`ConfigError` naming the file and line, never the
    token."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read the token file: "
                          f"{getattr(error, 'strerror', None) or error}") from None
    tokens: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2 or len(parts[1]) < MIN_TOKEN:
            raise ConfigError(f"{path}:{number}: expected 'LABEL TOKEN' with a token of at "
                              f"least {MIN_TOKEN} characters")
        tokens[parts[1]] = parts[0]
    if not tokens:
        raise ConfigError(f"{path}: no token in the file (one 'LABEL TOKEN' per line)")
    return tokens


def new_token() -> str:
    """A fresh random access token."""
    return secrets.token_urlsafe(24)


class Guard:
    """ASGI middleware: the access token check and the security headers of every response."""

    def __init__(self, app: ASGIApp, access: Access) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", [])
                           if h[0].lower() not in {name for name, _ in HEADERS}]
                headers.extend(HEADERS)
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        if self.access.tokens:
            label, query_token = self._token(scope)
            if label is None:
                await _plain(with_headers, 401, "This dashboard needs its access token: open "
                             "the address ecs-exposure serve printed (…?token=…), or send "
                             "'Authorization: Bearer TOKEN'.\n")
                return
            if query_token is not None:
                await _moved(with_headers, scope, query_token)
                return
            scope.setdefault("state", {})["token_label"] = label
        await self.app(scope, receive, with_headers)

    def _token(self, scope: Scope) -> tuple[str | None, str | None]:
        """``(label, token given in the query string or None)``."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        if "token" in query:
            label = self.access.label_of(query["token"])
            return label, query["token"] if label else None
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return self.access.label_of(auth[7:].strip()), None
        cookie: SimpleCookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:    # noqa: BLE001 — a malformed cookie header is just no token
            return None, None
        morsel = cookie.get(COOKIE)
        return self.access.label_of(morsel.value if morsel else None), None


async def _plain(send: Send, status: int, text: str) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
    await send({"type": "http.response.body", "body": text.encode()})


async def _moved(send: Send, scope: Scope, token: str) -> None:
    """The same address without the token, which moves into a cookie (so it leaves the
    address bar and the history)."""
    query = [(k, v) for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1"))
             if k != "token"]
    location = quote(str(scope.get("path", "/"))) + (f"?{urlencode(query)}" if query else "")
    cookie = f"{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/"
    await send({"type": "http.response.start", "status": 303,
                "headers": [(b"location", location.encode("latin-1")),
                            (b"set-cookie", cookie.encode("latin-1"))]})
    await send({"type": "http.response.body", "body": b""})
