"""Recognise plaintext credentials in ECS task definitions without ever revealing them.

A task definition is readable by anyone with ``ecs:DescribeTaskDefinition`` (a very common
read-only permission) and every revision is kept forever, so a literal password in
``environment[]``, in a ``command``/``entryPoint`` argument or in a log driver's
``logConfiguration.options`` is effectively published.  The fix is a ``secrets[]`` reference
to Secrets Manager or SSM Parameter Store, which this module therefore never flags.

A tool that reports leaked secrets must not leak them a second time into terminals, CI logs,
JSON reports or tickets.  Every match therefore carries only the *kind*, the *length* and a
short keyed *fingerprint* of the value (HMAC-SHA-256 under the installation's key, see
:mod:`ecs_exposure.analysis.fingerprint_key`): enough to see the same secret reused across services
and to tell whether two reports made with the same key saw the same value, but useless for
recovering it or for testing a guess without the key.  :func:`mask` applies the same rule to
free text such as error messages that may quote a task definition.

Two complementary signals are used, because either alone misses real leaks or floods users:

* value patterns -- formats that are a credential whatever the variable is called (AWS key
  ids, PEM private keys, provider tokens, JWTs, URLs and connection strings with a password);
* name rules -- a credential-like name (``DB_PASSWORD``, ``apikey``) holding a literal value,
  minus look-alikes whose name mentions a credential but whose value is a reference, a path,
  an identifier, a flag, a number or a setting *about* the credential (``TOKEN_TTL``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from ecs_exposure.analysis.fingerprint_key import installation_key

__all__ = ["FINGERPRINT_PREFIX", "SecretMatch", "classify_env", "fingerprint", "mask",
           "scan_argument"]

_FINGERPRINT_HEX_CHARS = 12
FINGERPRINT_PREFIX = "hmac-sha256:"

# Human wording for describe(); the article is part of the phrase so the sentence reads well
# ("an API key", "a JWT") without any grammar logic.
_KIND_PHRASES: dict[str, str] = {
    "aws-access-key-id": "an AWS access key ID",
    "aws-secret-access-key": "an AWS secret access key",
    "ecs-engine-auth-data": "ECS private registry auth data",
    "private-key": "a private key",
    "github-token": "a GitHub token",
    "gitlab-token": "a GitLab token",
    "slack-token": "a Slack token",
    "stripe-key": "a Stripe key",
    "google-api-key": "a Google API key",
    "jwt": "a JWT",
    "url-with-password": "a URL with an embedded password",
    "connection-string": "a connection string with a password",
    "password": "a password",
    "token": "a token",
    "secret": "a secret",
    "api-key": "an API key",
    "credential": "a credential",
}


@dataclass(frozen=True)
class SecretMatch:
    """What is known about a detected credential, deliberately excluding the credential.

    Keeping the value out of the object (rather than trusting every reporter to omit it) means
    no ``repr()``, log line or JSON dump of a finding can ever disclose the secret.
    """

    kind: str
    length: int
    fingerprint: str
    aws_key: bool

    def describe(self, name: str) -> str:
        """Return a one-line, value-free explanation for reports.

        ``name`` is where the value was found (variable, option or argument position); the
        value itself is never available here, so it cannot be echoed by mistake.
        """
        phrase = _KIND_PHRASES.get(self.kind, f"a {self.kind} credential")
        return f"{name} holds {phrase} (length {self.length}, {self.fingerprint})"


def fingerprint(value: str, key: bytes | None = None) -> str:
    """Return ``hmac-sha256:`` plus the first 12 hex digits of the value's HMAC-SHA-256 under
    ``key`` (by default the installation's key).

    Twelve hex digits (48 bits) are plenty to tell secrets apart and to spot reuse across an
    estate.  The key is what keeps a weak password safe: an unkeyed hash of ``hunter2`` can be
    confirmed by anyone who guesses it, a keyed one only by someone holding the key.
    ``surrogatepass`` makes lone surrogates (possible in JSON input) hash instead of raising;
    for every other string it equals ``value.encode()``.
    """
    digest = hmac.new(installation_key() if key is None else key,
                      value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
    return FINGERPRINT_PREFIX + digest[:_FINGERPRINT_HEX_CHARS]


def _match(kind: str, value: str, aws_key: bool) -> SecretMatch:
    """Build a match from the examined value; the only place a value turns into metadata."""
    return SecretMatch(kind=kind, length=len(value), fingerprint=fingerprint(value),
                       aws_key=aws_key)


# --------------------------------------------------------------------------------------------
# Placeholders, references and other values that are not literal credentials
# --------------------------------------------------------------------------------------------

# A whole value that only points at a secret (or is an unrendered template) holds no secret.
_FULL_PLACEHOLDER_RE = re.compile(
    r"\$\{[^}]*\}"                # ${VAR}, ${var.name}
    r"|\$\([^)]*\)"               # $(command substitution)
    r"|\{\{.*\}\}"                # {{resolve:...}}, Jinja/Go/Handlebars templates
    r"|<[^<>]+>"                  # <your-password-here>
    r"|\$[A-Za-z_][A-Za-z0-9_]*"  # $VAR
    r"|%s|\*+",                   # printf slot, masked value in docs/examples
    re.DOTALL,
)
# A template anywhere in the value means the credential is injected at deploy or run time;
# the literal remainder ("Bearer ", "prefix-") is not itself the secret.
_EMBEDDED_TEMPLATE_RE = re.compile(r"\$\{[^}]*\}|\$\([^)]*\)|\{\{.*?\}\}", re.DOTALL)
_REFERENCE_PREFIXES = ("arn:", "{{resolve:")
_PATH_PREFIXES = ("/", "./", "../", "~/")
_NON_SECRET_WORDS = frozenset({
    "true", "false", "yes", "no", "on", "off", "enabled", "disabled",
    "none", "null", "nil", "undefined",
})
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_REGION_RE = re.compile(
    r"[a-z]{2}-(?:gov-|iso[a-z]?-)?(?:north|south|east|west|central)(?:east|west)?-\d{1,2}"
)
_URL_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S*")


_PLACEHOLDER_STARTS = ("$", "{", "<", "%", "*")
"""Every placeholder form above begins with one of these; anything else needs no regex."""


def _is_placeholder(text: str) -> bool:
    """True when ``text`` as a whole is a placeholder rather than a literal."""
    return (text.startswith(_PLACEHOLDER_STARTS)
            and _FULL_PLACEHOLDER_RE.fullmatch(text) is not None)


def _is_reference(value: str) -> bool:
    """True for values that point at a secret store or are a template: the recommended fix."""
    return value.startswith(_REFERENCE_PREFIXES) or _is_placeholder(value)


def _is_path(value: str) -> bool:
    """File paths name where a secret lives (e.g. a mounted secret file), not the secret."""
    return value.startswith(_PATH_PREFIXES)


def _is_literal_secret(value: str) -> bool:
    """Decide whether a value under a credential-like *name* plausibly is the credential.

    Only the name rules use this: names such as ``TOKEN_LIMIT`` or ``REQUIRE_PASSWORD`` often
    hold flags, numbers, regions or plain URLs, and reporting those would bury real leaks.
    """
    text = value.strip()
    if not text or _is_reference(text) or _is_path(text):
        return False
    if _EMBEDDED_TEMPLATE_RE.search(text):
        return False
    if text.lower() in _NON_SECRET_WORDS:
        return False
    if _NUMBER_RE.fullmatch(text) or _REGION_RE.fullmatch(text):
        return False
    # URLs that carry a password were already caught by the value patterns; any URL reaching
    # this point is an address (an endpoint, a callback), which is not a credential.
    return _URL_RE.fullmatch(text) is None


# --------------------------------------------------------------------------------------------
# Value patterns: formats that are credentials whatever they are called
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ValuePattern:
    """One credential format, plus which part of a match is the secret (for masking)."""

    kind: str
    hint: re.Pattern[str]
    """A literal (or tiny) pattern every match contains: a cheap test that rules most text
    out before the full pattern runs. Written without global flags so hints can be joined."""
    regex: re.Pattern[str]
    aws_key: bool = False
    secret_group: str | int = 0
    accept: Callable[[re.Match[str]], bool] | None = None

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        """Yield the (start, end) of each secret portion found in ``text``."""
        if self.hint.search(text) is None:
            return
        for found in self.regex.finditer(text):
            if self.accept is None or self.accept(found):
                yield found.span(self.secret_group)


def _password_is_literal(found: re.Match[str]) -> bool:
    """A ``${DB_PASSWORD}``-style password slot in a URL is a template, not a leak."""
    return not _is_placeholder(found.group("pw"))


_CONN_KEY_END_RE = re.compile(r"[A-Za-z][A-Za-z0-9 _]{0,40}\Z")
_CONN_PAIR_WINDOW = 512  # how far back a preceding "key=value;" pair is looked for


def _connection_string_has_password(found: re.Match[str]) -> bool:
    """``Password=`` only counts inside a ``key=value;`` list, and only with a literal value.

    Requiring a neighbouring ``key=value`` pair keeps a lone shell assignment like
    ``PASSWORD=x ./run`` out of this kind; the argument scanner reports it as a password.
    The pair before is checked with string operations on a bounded window rather than in the
    regex, where a repeated optional prefix made long ``a=b;a=b;...`` text quadratic.
    """
    if _is_placeholder(found.group("pw")):
        return False
    if found.group("after") is not None:
        return True
    start = found.start()
    head = found.string[max(0, start - _CONN_PAIR_WINDOW) : start].rstrip()
    if not head.endswith(";"):
        return False
    key, equals, _value = head[:-1].rsplit(";", 1)[-1].rpartition("=")
    return bool(equals) and _CONN_KEY_END_RE.search(key) is not None


# Order matters: the first pattern that matches names the kind, so more specific formats come
# before the generic ones (a GitHub token used as a URL password is reported as a GitHub token).
_VALUE_PATTERNS: tuple[_ValuePattern, ...] = (
    _ValuePattern(
        "private-key", re.compile(r"-----BEGIN "),
        # The whole PEM block, or everything after an unterminated header, so mask() never
        # leaves key material behind.
        re.compile(
            r"-----BEGIN (?P<label>(?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----"
            r"(?:.*?-----END (?P=label)-----|.*)",
            re.DOTALL,
        ),
    ),
    _ValuePattern(
        "aws-access-key-id", re.compile(r"AKIA|ASIA"),
        re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Za-z0-9])"),
        aws_key=True,
    ),
    _ValuePattern(
        "github-token", re.compile(r"gh[pousr]_|github_pat_"),
        re.compile(
            r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{82,})"
            r"(?![A-Za-z0-9_])"
        ),
    ),
    _ValuePattern(
        "gitlab-token", re.compile(r"glpat-"),
        re.compile(r"(?<![A-Za-z0-9_-])glpat-[A-Za-z0-9_-]{20,}"),
    ),
    _ValuePattern(
        "slack-token", re.compile(r"xox[abprs]-"),
        re.compile(r"(?<![A-Za-z0-9_-])xox[abprs]-[0-9A-Za-z][0-9A-Za-z-]{9,}"),
    ),
    _ValuePattern(
        "stripe-key", re.compile(r"k_live_|k_test_"),
        re.compile(r"(?<![A-Za-z0-9_])(?:sk_live|rk_live|sk_test|rk_test)_[0-9A-Za-z]{16,}"),
    ),
    _ValuePattern(
        "google-api-key", re.compile(r"AIza"),
        re.compile(r"(?<![0-9A-Za-z_-])AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"),
    ),
    _ValuePattern(
        "jwt", re.compile(r"eyJ"),
        # Minimum segment lengths keep short dotted words starting "eyJ" out; the shortest
        # real header, {"alg":"none"}, is already 19 characters once encoded.
        re.compile(
            r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}"
        ),
    ),
    _ValuePattern(
        "url-with-password", re.compile(r"://"),
        # The password stops at "/", "?" and "#" so "host:8080/path?x=a@b" is not misread;
        # real passwords with those characters must be percent-encoded in a URL anyway.
        re.compile(
            r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,30}://"
            r"[^\s:@/?#'\"]{0,256}:(?P<pw>[^\s@/?#'\"]{1,256})@[A-Za-z0-9\[._-]"
        ),
        secret_group="pw",
        accept=_password_is_literal,
    ),
    _ValuePattern(
        "connection-string", re.compile(r"(?i:password|pwd)"),
        re.compile(
            r"(?i)(?<![\w-])(?:password|pwd)\s*=\s*(?P<pw>[^;\s'\"]+)"
            r"(?P<after>;\s*[a-z][a-z0-9 _]{0,40}=)?"
        ),
        secret_group="pw",
        accept=_connection_string_has_password,
    ),
    _ValuePattern(
        "token", re.compile(r"(?i:authorization)"),
        # Bearer/token schemes in curl -H/wget --header arguments; "$TOKEN" is excluded by
        # the character class because a variable is not a leak.
        re.compile(
            r"(?i)\bauthorization\s*:\s*(?:bearer|token)\s+(?P<cred>[A-Za-z0-9._~+/=-]{8,})"
        ),
        secret_group="cred",
    ),
    _ValuePattern(
        "credential", re.compile(r"(?i:authorization)"),
        # Basic auth is base64("user:password"): trivially decoded, so a password in effect.
        re.compile(r"(?i)\bauthorization\s*:\s*basic\s+(?P<cred>[A-Za-z0-9+/=]{8,})"),
        secret_group="cred",
    ),
)


# A value that holds none of the hints cannot match any pattern: one search rules out most
# values (hostnames, flags, numbers) instead of twelve.
_ANY_HINT_RE = re.compile("|".join(f"(?:{p.hint.pattern})" for p in _VALUE_PATTERNS))


def _value_pattern_match(text: str) -> _ValuePattern | None:
    """Return the highest-priority value pattern that occurs anywhere in ``text``."""
    if _ANY_HINT_RE.search(text) is None:
        return None
    for pattern in _VALUE_PATTERNS:
        if next(pattern.spans(text), None) is not None:
            return pattern
    return None


# --------------------------------------------------------------------------------------------
# Name rules: credential-like names holding a literal
# --------------------------------------------------------------------------------------------

_EXACT_NAMES: dict[str, tuple[str, bool]] = {
    "AWS_ACCESS_KEY_ID": ("aws-access-key-id", True),
    "AWS_SECRET_ACCESS_KEY": ("aws-secret-access-key", True),
    "ECS_ENGINE_AUTH_DATA": ("ecs-engine-auth-data", False),
}

# (keyword, kind, whole word only), most specific first: "DB_PASSWORD_SECRET" is a password
# and "SECRET_API_KEY" an API key.  Keywords match as substrings of the normalised name
# ("PGPASSWORD", "GITHUBTOKEN") except PWD, which is too short to trust inside another word.
_NAME_KEYWORDS: tuple[tuple[str, str, bool], ...] = (
    ("PRIVATE_KEY", "private-key", False),
    ("PRIVATEKEY", "private-key", False),
    ("CONNECTION_STRING", "connection-string", False),
    ("CONNECTIONSTRING", "connection-string", False),
    ("CONN_STR", "connection-string", False),
    ("CONNSTR", "connection-string", False),
    ("DSN", "connection-string", False),
    ("PASSWORD", "password", False),
    ("PASSWD", "password", False),
    ("PASSPHRASE", "password", False),
    ("PWD", "password", True),
    ("API_KEY", "api-key", False),
    ("APIKEY", "api-key", False),
    ("LICENSE_KEY", "api-key", False),  # New Relic / Datadog-style log router options
    ("LICENSEKEY", "api-key", False),
    ("TOKEN", "token", False),
    ("SECRET", "secret", False),
    ("AUTH_KEY", "secret", False),
    ("AUTHKEY", "secret", False),
    ("CREDENTIAL", "credential", False),
    ("ACCESS_KEY", "credential", False),
    ("ACCESSKEY", "credential", False),
)

# A name whose final word is one of these describes an identifier, a location or a setting
# about the credential (SECRET_ARN, TOKEN_URL, PASSWORD_MIN_LENGTH, KMS_KEY_ID), not the
# credential itself.
_EXCLUDED_LAST_WORDS = frozenset({
    "ARN", "ARNS", "NAME", "NAMES", "ID", "IDS",
    "URL", "URLS", "URI", "URIS", "HOST", "HOSTS", "HOSTNAME", "ENDPOINT", "ENDPOINTS", "PORT",
    "FILE", "FILES", "PATH", "PATHS", "DIR", "DIRS",
    "LENGTH", "LEN", "TTL", "EXPIRY", "TIMEOUT", "ENABLED", "HEADER", "TYPE", "ALGORITHM",
    "POLICY", "REGION", "VERSION", "PREFIX", "STDIN",
})
# ...and any word starting with one of these does the same wherever it sits
# (TOKEN_EXPIRES_IN, SECRET_ROTATION_DAYS).
_EXCLUDED_WORD_PREFIXES = ("EXPIRE", "EXPIRATION", "ROTATION")
# Words that merely contain a keyword ("TOKENIZER" is an NLP component, not a token).
_FALSE_FRIEND_WORDS = frozenset({"TOKENIZER", "TOKENIZERS", "SECRETARY", "SECRETARIES"})
# The shell's working directory variables: "PWD" there is not a password.
_SHELL_NAMES = frozenset({"PWD", "OLDPWD"})

_CAMEL_BOUNDARY_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_ALNUM_RE = re.compile(r"[^A-Za-z0-9]+")


def _normalise_name(name: str) -> str:
    """Upper-case, ``_``-separated form, so env names and log options compare alike.

    Log router options come as ``http_Passwd``, ``apiKey``, ``splunk-token`` or
    ``tls.key_passwd``; splitting camelCase and every separator lets one rule set cover them.
    """
    spaced = _CAMEL_BOUNDARY_RE.sub("_", name)
    return _NON_ALNUM_RE.sub("_", spaced).strip("_").upper()


@lru_cache(maxsize=8192)
def _name_kind(name: str) -> tuple[str, bool] | None:
    """Return (kind, aws_key) when ``name`` says its value is a credential, else None.

    Cached: an estate repeats the same few hundred variable names thousands of times.
    """
    normalised = _normalise_name(name)
    if not normalised or normalised in _SHELL_NAMES:
        return None
    if normalised in _EXACT_NAMES:
        return _EXACT_NAMES[normalised]
    words = normalised.split("_")
    if words[-1] in _EXCLUDED_LAST_WORDS:
        return None
    if any(word.startswith(_EXCLUDED_WORD_PREFIXES) for word in words):
        return None
    if normalised.endswith("AWS_SECRET_ACCESS_KEY"):  # e.g. BACKUP_AWS_SECRET_ACCESS_KEY
        return ("aws-secret-access-key", True)
    kept = [word for word in words if word not in _FALSE_FRIEND_WORDS]
    joined = "_".join(kept)
    for keyword, kind, whole_word in _NAME_KEYWORDS:
        if (keyword in kept) if whole_word else (keyword in joined):
            return (kind, False)
    return None


# --------------------------------------------------------------------------------------------
# KEY=VALUE fragments inside command arguments
# --------------------------------------------------------------------------------------------

_FRAGMENT_RE = re.compile(
    r"(?:^|(?<=[\s'\"?&;,(]))"
    r"(?:(?P<flag>-{1,2})(?P<flag_key>[A-Za-z][A-Za-z0-9_.-]{0,63})(?P<sep>=|\s+)"
    r"|(?P<key>[A-Za-z_][A-Za-z0-9_.-]{0,63})=)"
    r"(?P<value>\"[^\"]*\"|'[^']*'|[^\s'\"&;,]+)"
)


# Every fragment holds "=" or starts a flag with "-" where _FRAGMENT_RE lets one start, so
# hostnames and dates ("db-1.example.com", "2024-01-01") need no fragment search.
_FRAGMENT_HINT_RE = re.compile(r"=|(?:^|[\s'\"?&;,(])-")


def _fragment_kind(text: str) -> tuple[str, bool] | None:
    """Find ``--password=x``, ``--token x``, ``PGPASSWORD=x`` or ``?token=x`` in free text.

    Commands are shell strings, so credentials arrive as flags and assignments rather than as
    named fields; the key is judged by the same name rules as environment variables.
    """
    if _FRAGMENT_HINT_RE.search(text) is None:
        return None
    position = 0
    while (found := _FRAGMENT_RE.search(text, position)) is not None:
        # Restart just after this match's start so a rejected match (e.g. "export X=1")
        # cannot swallow a following credential.
        position = found.start() + 1
        key = found.group("flag_key") or found.group("key")
        kind = _name_kind(key)
        if kind is None:
            continue
        value = found.group("value")
        if len(value) >= 2 and value[0] in "\"'" and value[-1] == value[0]:
            value = value[1:-1]
        if value.startswith(("$", "`")):  # shell expansion: the secret comes from elsewhere
            continue
        if found.group("sep") not in (None, "=") and value.startswith("-"):
            continue  # "--token --verbose": the next word is another flag, not a value
        if _is_literal_secret(value):
            return kind
    return None


# --------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------


def classify_env(name: str, value: object) -> SecretMatch | None:
    """Classify one environment variable or log option; None unless it holds a credential.

    Value patterns decide the kind first because the format is stronger evidence than the
    name (``DATABASE_URL=postgres://u:p@h/db`` is a URL with a password even though names
    ending ``_URL`` are otherwise ignored).  Non-string values come from malformed or
    hand-written task definitions and are never credentials worth reporting.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or _is_reference(text) or _is_path(text):
        return None
    by_name = _name_kind(name)
    name_is_aws = by_name is not None and by_name[1]
    pattern = _value_pattern_match(value)
    if pattern is not None:
        return _match(pattern.kind, value, pattern.aws_key or name_is_aws)
    if by_name is not None and _is_literal_secret(text):
        return _match(by_name[0], value, by_name[1])
    # JAVA_OPTS="-Ddb.password=x" or a query-string password in an otherwise ignored *_URL.
    fragment = _fragment_kind(value)
    if fragment is not None:
        return _match(fragment[0], value, fragment[1])
    return None


def scan_argument(value: object) -> SecretMatch | None:
    """Classify one ``command``/``entryPoint`` element; None unless it contains a credential.

    An argument has no name of its own, so only value patterns and credential-like
    ``KEY=VALUE``/``--flag value`` fragments *within the element* apply.  A flag and its value
    in two separate elements (``["--token", "x"]``) must be paired by the caller.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    pattern = _value_pattern_match(value)
    if pattern is not None:
        return _match(pattern.kind, value, pattern.aws_key)
    fragment = _fragment_kind(value)
    if fragment is not None:
        return _match(fragment[0], value, fragment[1])
    return None


def mask(text: str) -> str:
    """Replace every credential-looking substring with ``[REDACTED hmac-sha256:…]``.

    Used on error messages and other free text that may quote a task definition.  Only the
    secret part is replaced (a URL keeps its user and host, a connection string its server)
    so the message stays useful; the fingerprint is of the removed substring, letting a
    reader correlate it with a finding without seeing it.
    """
    if _ANY_HINT_RE.search(text) is None:
        return text
    spans = sorted(span for pattern in _VALUE_PATTERNS for span in pattern.spans(text))
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    pieces: list[str] = []
    cursor = 0
    for start, end in merged:
        pieces.append(text[cursor:start])
        pieces.append(f"[REDACTED {fingerprint(text[start:end])}]")
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)
