"""A local stand-in for Google and Microsoft, for the test suite: one HTTP server that speaks
Google OAuth 2.0, Google Calendar v3, the Microsoft identity platform v2.0 and Microsoft Graph
in their own wire formats (docs: /work/shared/provider-contracts.md), so Convene is pointed at
it through config URLs alone.

    python3 fake_providers.py --port 8089 [--google-client ID:SECRET]
        [--microsoft-client ID:SECRET] [--access-ttl SECONDS]

Defaults: google client google-client:google-secret, microsoft client ms-client:ms-secret,
access tokens valid 3599 seconds. It listens on 127.0.0.1 (HTTP/1.1, keep-alive), keeps all
state in memory and prints "ready" on stdout once it listens.

URL layout, P the port:

    Google     authorize  GET    http://127.0.0.1:P/google/o/oauth2/v2/auth
               token      POST   http://127.0.0.1:P/google/token
               revoke     POST   http://127.0.0.1:P/google/revoke?token=...
               API base          http://127.0.0.1:P/google/calendar/v3
                          POST   /freeBusy
                          GET    /calendars/primary
                          POST   /calendars/{calendarId}/events
                          GET|PATCH|PUT|DELETE /calendars/{calendarId}/events/{eventId}
    Microsoft  authorize  GET    http://127.0.0.1:P/microsoft/{tenant}/oauth2/v2.0/authorize
               token      POST   http://127.0.0.1:P/microsoft/{tenant}/oauth2/v2.0/token
               API base          http://127.0.0.1:P/microsoft/graph/v1.0
                          GET    /me
                          POST   /me/calendar/getSchedule
                          POST   /me/events
                          GET|PATCH|DELETE /me/events/{id}

The authorize endpoints act as a user who consents at once and redirect back with a code (or
with error=access_denied after deny-next). The account that consents is the one named by
next-account, else login_hint, else user@example.com (Google) or user@contoso.com (Microsoft).
Codes are single use, live 10 minutes and are bound to client, redirect_uri and the PKCE S256
challenge. Google refreshes keep the refresh token; Microsoft refreshes rotate it. Access tokens
expire by the wall clock. Events written through an API occupy time in that account's free/busy
answers (Google events marked transparent and Graph events shown as free do not). calendarId is
`primary` or the account's email; Graph event times are read in their timeZone, which must be
UTC or an IANA name, and getSchedule answers in the zone of a `Prefer: outlook.timezone="…"`
header (UTC without one).

Control API, JSON in and out, no auth; control requests are neither logged nor failed:

    POST /_control/reset                 {}  forget all tokens, codes, accounts, events, rules
                                         and the request log; the access TTL returns to its
                                         start value
    POST /_control/next-account          {"provider", "email", "name"?}  consents next, once
    POST /_control/deny-next             {"provider"}  the next authorize is denied, once
    POST /_control/busy                  {"provider", "email", "busy": [{"start", "end",
                                         "status"?, "subject"?, "location"?}]}  replaces the
                                         account's busy list (RFC 3339 times; status free,
                                         tentative, busy, oof or workingElsewhere, default busy)
    POST /_control/calendar-error        {"provider", "email", "reason"}  that calendar answers
                                         free/busy with this error reason (Graph: responseCode);
                                         reason null clears it
    POST /_control/access-ttl            {"seconds"}  expires_in of tokens issued from now on
    POST /_control/expire-access-tokens  {"provider", "email"?}  current access tokens get 401
    POST /_control/revoke-refresh-tokens {"provider", "email"?}  refresh tokens get invalid_grant
    POST /_control/fail                  a rule or a list of rules {"path_prefix", "method"?,
                                         "status", "retry_after"?, "count"?, "delay_ms"?,
                                         "oauth_error"?}: the next `count` (default 1, -1 for
                                         ever) matching requests wait delay_ms, then get
                                         `status` in the provider's error format (with
                                         Retry-After when retry_after is set); status 0 answers
                                         normally after the delay, status -1 closes the
                                         connection unanswered. The first matching rule wins.
    POST /_control/clear-failures        {}  drops every rule
    GET  /_control/events?provider=&email=    {"events": [...]} the account's events in
                                         creation order: the stored resource plus "deleted",
                                         "sequence", "query" (of the create request) and
                                         "history" ([{"op", "time", "query"}])
    GET  /_control/requests?path_prefix=      {"requests": [{"time", "method", "path", "query",
                                         "status" (null when closed unanswered), "injected",
                                         "headers": {"prefer", "authorization_scheme",
                                         "content_type"}, "form"? , "json"?, "tenant"?}]}
    GET  /_control/tokens?provider=      {"refresh_tokens": [{"email", "token", "valid",
                                         "client_id", "tenant", "last_used"}],
                                         "access_tokens": [{"email", "token", "valid",
                                         "expires_at", "client_id", "tenant", "last_used"}]}
                                         in issue order

Mutating control requests answer {"ok": true}; malformed ones 400 {"error": "..."}.
"""

import argparse
import base64
import hashlib
import html
import json
import math
import re
import secrets
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, unquote, unquote_plus, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

GOOGLE = "google"
MICROSOFT = "microsoft"
PROVIDERS = (GOOGLE, MICROSOFT)
DEFAULT_EMAIL = {GOOGLE: "user@example.com", MICROSOFT: "user@contoso.com"}
GOOGLE_API = "/google/calendar/v3"
GRAPH_API = "/microsoft/graph/v1.0"
MS_IDENTITY = re.compile(r"^/microsoft/(?P<tenant>[^/]+)/oauth2/v2\.0/(?P<endpoint>authorize|token)$")
CODE_LIFETIME = 600
GOOGLE_EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")
BASE32HEX = "0123456789abcdefghijklmnopqrstuv"
UTC_OFFSET = re.compile(r"(Z|[+-]\d{2}(:?\d{2})?)$", re.IGNORECASE)
PREFER_TIMEZONE = re.compile(r'outlook\.timezone\s*=\s*"?([^";,]+)"?', re.IGNORECASE)
JSON_TYPE = "application/json; charset=UTF-8"
GRAPH_METADATA = "https://graph.microsoft.com/v1.0/$metadata"
GRAPH_JSON_TYPE = "application/json;odata.metadata=minimal;odata.streaming=true;charset=utf-8"
# Availability digits and, for a slot covered by several items, which status wins.
AVAILABILITY_DIGIT = {"free": "0", "tentative": "1", "busy": "2", "oof": "3", "workingElsewhere": "4"}
AVAILABILITY_RANK = {"free": 0, "workingElsewhere": 1, "tentative": 2, "busy": 3, "oof": 4}
GOOGLE_SERVER_FIELDS = {"kind", "etag", "id", "htmlLink", "iCalUID", "sequence", "created",
                        "updated", "organizer", "creator"}
GRAPH_SERVER_FIELDS = {"@odata.context", "@odata.etag", "id", "iCalUId", "webLink", "changeKey",
                       "organizer", "isCancelled", "isOrganizer", "createdDateTime",
                       "lastModifiedDateTime"}
GOOGLE_FAILURES = {
    400: ("global", "badRequest", "Bad Request"),
    401: ("global", "authError", "Invalid Credentials"),
    403: ("usageLimits", "rateLimitExceeded", "Rate Limit Exceeded"),
    404: ("global", "notFound", "Not Found"),
    409: ("global", "conflict", "Conflict"),
    410: ("global", "deleted", "Resource has been deleted"),
    429: ("usageLimits", "rateLimitExceeded", "Rate Limit Exceeded"),
    500: ("global", "backendError", "Backend Error"),
    503: ("global", "backendError", "Backend Error"),
}
GRAPH_FAILURES = {
    400: ("BadRequest", "The request is malformed."),
    401: ("InvalidAuthenticationToken", "Access token has expired or is not yet valid."),
    403: ("ErrorAccessDenied", "Access is denied. Check credentials and try again."),
    404: ("ErrorItemNotFound", "The specified object was not found in the store."),
    429: ("TooManyRequests", "Too many requests. Please retry after the time in Retry-After."),
    500: ("generalException", "An unexpected error occurred."),
    503: ("ServiceNotAvailable", "The service is temporarily unavailable. Please retry."),
}
OAUTH_FAILURE_TEXT = {"temporarily_unavailable": "The server is temporarily unable to handle the request.",
                      "invalid_grant": "The refresh token has expired or was revoked."}
MS_ERROR_CODES = {"invalid_grant": 70000, "invalid_client": 7000215, "invalid_request": 900144,
                  "unsupported_grant_type": 70003, "temporarily_unavailable": 50000}


# ---------------------------------------------------------------- replies


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict = field(default_factory=dict)


class Refusal(Exception):
    """Raised deep in a handler to answer at once with `reply`."""

    def __init__(self, reply):
        super().__init__(reply.status)
        self.reply = reply


def json_reply(status, data, headers=None, content_type=JSON_TYPE):
    return Reply(status, json.dumps(data).encode(), {"Content-Type": content_type, **(headers or {})})


def html_reply(status, title, text, headers=None):
    page = (f"<!DOCTYPE html><html><head><title>{html.escape(title)}</title></head>"
            f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>")
    return Reply(status, page.encode(), {"Content-Type": "text/html; charset=utf-8", **(headers or {})})


def google_error(status, reason, message, domain="global", headers=None, **extra):
    error = {"domain": domain, "reason": reason, "message": message, **extra}
    return json_reply(status, {"error": {"errors": [error], "code": status, "message": message}}, headers)


def google_auth_error():
    return google_error(401, "authError", "Invalid Credentials", locationType="header",
                        location="Authorization",
                        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'})


def graph_error(status, code, message, headers=None):
    return json_reply(status, {"error": {"code": code, "message": message}}, headers, GRAPH_JSON_TYPE)


def graph_auth_error():
    return graph_error(401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.",
                       {"WWW-Authenticate": 'Bearer realm="", authorization_uri='
                                            '"https://login.microsoftonline.com/common/oauth2/authorize"'})


def graph_not_found():
    return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")


def oauth_error(provider, status, error, description, headers=None):
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache", **(headers or {})}
    if provider == GOOGLE:
        return json_reply(status, {"error": error, "error_description": description}, headers)
    code = MS_ERROR_CODES.get(error, 50000)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
    trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
    return json_reply(status, {
        "error": error,
        "error_description": f"AADSTS{code}: {description} Trace ID: {trace} "
                             f"Correlation ID: {correlation} Timestamp: {stamp}",
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }, headers)


def invalid_grant(provider, reason):
    return oauth_error(provider, 400, "invalid_grant", "Bad Request" if provider == GOOGLE else reason)


def control_error(message):
    return Refusal(json_reply(400, {"error": message}))


# ---------------------------------------------------------------- times


def zone(name):
    """The tzinfo for a time zone name (UTC or IANA), or None."""
    if name in (None, "", "UTC", "Etc/UTC", "GMT"):
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def parse_rfc3339(text):
    """An aware UTC datetime from an RFC 3339 time with Z or an offset; ValueError otherwise."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{text} has no UTC offset")
    return moment.astimezone(timezone.utc)


def parse_local(text, zone_name):
    """An aware UTC datetime from a wall-clock time without offset in the named zone."""
    if UTC_OFFSET.search(text):
        raise ValueError(f"{text} carries a UTC offset")
    tz = zone(zone_name)
    if tz is None:
        raise ValueError(f"unknown time zone {zone_name}")
    return datetime.fromisoformat(text).replace(tzinfo=tz).astimezone(timezone.utc)


def utc_seconds(moment):
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_millis(moment):
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def graph_wall_clock(moment):
    """Graph's dateTime form: no offset, seven fractional digits."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0"


def now_utc():
    return datetime.now(timezone.utc)


# ---------------------------------------------------------------- state


@dataclass
class Busy:
    start: datetime
    end: datetime
    status: str = "busy"
    subject: str = "Busy"
    location: str = ""


@dataclass
class Event:
    id: str
    resource: dict
    span: tuple
    query: dict
    created: datetime
    history: list = field(default_factory=list)
    deleted: bool = False
    sequence: int = 0
    transaction_id: str | None = None

    def listing(self):
        return {**self.resource, "id": self.id, "deleted": self.deleted, "sequence": self.sequence,
                "query": self.query, "history": self.history}

    def record(self, op, query):
        self.history.append({"op": op, "time": time.time(), "query": query})


@dataclass
class Account:
    provider: str
    email: str
    name: str
    id: str
    busy: list = field(default_factory=list)
    calendar_error: str | None = None
    events: dict = field(default_factory=dict)  # id -> Event, in creation order


@dataclass
class Code:
    provider: str
    client_id: str
    redirect_uri: str
    challenge: str
    email: str
    scope: str
    tenant: str | None
    issued: float
    used: bool = False


@dataclass
class Token:
    provider: str
    email: str
    token: str
    client_id: str
    scope: str
    tenant: str | None
    expires_at: float | None = None  # access tokens only
    refresh: str | None = None  # for access tokens: the refresh token it came from
    valid: bool = True
    last_used: float | None = None

    def usable(self):
        return self.valid and (self.expires_at is None or time.time() < self.expires_at)


@dataclass
class FailureRule:
    path_prefix: str
    method: str | None
    status: int
    retry_after: str | None
    count: int
    delay_ms: int
    oauth_error: str | None

    def matches(self, method, path):
        return path.startswith(self.path_prefix) and self.method in (None, method)


class State:
    """Everything the fake knows; request handlers hold `lock` while they read or change it."""

    def __init__(self, clients, access_ttl):
        self.lock = threading.Lock()
        self.clients = clients
        self.initial_ttl = access_ttl
        self.reset()

    def reset(self):
        self.access_ttl = self.initial_ttl
        self.accounts = {}
        self.codes = {}
        self.refresh_tokens = {}
        self.access_tokens = {}
        self.rules = []
        self.requests = []
        self.next_account = {}
        self.deny_next = set()

    def account(self, provider, email, name=None):
        key = (provider, email.lower())
        if key not in self.accounts:
            ident = secrets.token_hex(16) if provider == MICROSOFT else str(secrets.randbelow(10**21))
            self.accounts[key] = Account(provider, email, name or email.split("@")[0], ident)
        if name:
            self.accounts[key].name = name
        return self.accounts[key]

    def find_account(self, provider, email):
        return self.accounts.get((provider, email.lower()))

    def take_failure(self, method, path):
        for rule in self.rules:
            if rule.matches(method, path):
                if rule.count > 0:
                    rule.count -= 1
                    if rule.count == 0:
                        self.rules.remove(rule)
                return rule
        return None

    def issue_access(self, refresh):
        prefix = "ya29.fake-" if refresh.provider == GOOGLE else "eyJfake-"
        token = Token(refresh.provider, refresh.email, prefix + secrets.token_urlsafe(32),
                      refresh.client_id, refresh.scope, refresh.tenant,
                      expires_at=time.time() + self.access_ttl, refresh=refresh.token)
        self.access_tokens[token.token] = token
        return token

    def issue_refresh(self, provider, email, client_id, scope, tenant):
        prefix = "1//0fake-" if provider == GOOGLE else "M.Rfake-"
        token = Token(provider, email, prefix + secrets.token_urlsafe(32), client_id, scope, tenant)
        self.refresh_tokens[token.token] = token
        return token

    def bearer(self, provider, authorization):
        """The account behind a valid `Authorization: Bearer` header, or None."""
        scheme, _, value = (authorization or "").partition(" ")
        token = self.access_tokens.get(value.strip()) if scheme.lower() == "bearer" else None
        if token is None or token.provider != provider or not token.usable():
            return None
        token.last_used = time.time()
        return self.find_account(provider, token.email)


# ---------------------------------------------------------------- OAuth


def granted_scope(provider, requested):
    """Google echoes the scopes; Microsoft leaves out the OpenID and offline_access ones."""
    if provider == GOOGLE:
        return requested
    hidden = {"openid", "email", "profile", "offline_access"}
    return " ".join(scope for scope in requested.split() if scope not in hidden)


def authorize_problem(state, provider, query):
    client_id = state.clients[provider][0]
    scopes = query.get("scope", "").split()
    checks = [
        (query.get("client_id") == client_id, "invalid_client: unknown client_id"),
        (bool(query.get("redirect_uri")), "redirect_uri is missing"),
        (query.get("response_type") == "code", "response_type must be code"),
        (bool(query.get("state")), "state is missing"),
        (bool(query.get("code_challenge")), "code_challenge is missing"),
        (query.get("code_challenge_method") == "S256", "code_challenge_method must be S256"),
    ]
    if provider == GOOGLE:
        checks += [
            (query.get("access_type") == "offline", "access_type must be offline"),
            (query.get("prompt") == "consent", "prompt must be consent"),
            (any(s.startswith("https://www.googleapis.com/auth/calendar") for s in scopes),
             "scope must include a https://www.googleapis.com/auth/calendar scope"),
        ]
    else:
        checks += [
            ("offline_access" in scopes, "scope must include offline_access"),
            (any(s.endswith("Calendars.ReadWrite") for s in scopes),
             "scope must include Calendars.ReadWrite"),
        ]
    return next((problem for passed, problem in checks if not passed), None)


def redirect(target, params):
    separator = "&" if "?" in target else "?"
    query = "&".join(f"{key}={quote(value, safe='/:')}" for key, value in params)
    return Reply(302, b"", {"Location": target + separator + query,
                            "Content-Type": "text/html; charset=utf-8"})


def authorize(state, provider, query, tenant=None):
    problem = authorize_problem(state, provider, query)
    if problem:
        return html_reply(400, "400. That's an error.", f"Error 400 (invalid_request): {problem}")
    if provider in state.deny_next:
        state.deny_next.discard(provider)
        return redirect(query["redirect_uri"], [("error", "access_denied"), ("state", query["state"])])
    chosen = state.next_account.pop(provider, None) or {}
    email = chosen.get("email") or query.get("login_hint") or DEFAULT_EMAIL[provider]
    state.account(provider, email, chosen.get("name"))
    code = ("4/0fake-" if provider == GOOGLE else "0.Afake-") + secrets.token_urlsafe(32)
    state.codes[code] = Code(provider, query["client_id"], query["redirect_uri"], query["code_challenge"],
                             email, query["scope"], tenant, time.time())
    params = [("code", code), ("state", query["state"])]
    if provider == GOOGLE:
        params += [("scope", query["scope"]), ("authuser", "0")]
    return redirect(query["redirect_uri"], params)


def client_credentials(form, authorization):
    """(client_id, client_secret) from HTTP Basic, else from the form."""
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() == "basic":
        try:
            pair = base64.b64decode(value.strip()).decode()
        except ValueError:
            return None, None
        client_id, _, secret = pair.partition(":")
        return unquote_plus(client_id), unquote_plus(secret)
    return form.get("client_id"), form.get("client_secret")


def pkce_challenge(verifier):
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def fake_jwt(payload):
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}."


def id_token(state, refresh):
    account = state.find_account(refresh.provider, refresh.email)
    issued = int(time.time())
    if refresh.provider == GOOGLE:
        claims = {"iss": "https://accounts.google.com", "sub": account.id, "email": account.email,
                  "email_verified": True, "name": account.name}
    else:
        claims = {"iss": f"https://login.microsoftonline.com/{refresh.tenant}/v2.0", "oid": account.id,
                  "sub": account.id, "email": account.email, "preferred_username": account.email,
                  "name": account.name, "tid": refresh.tenant}
    return fake_jwt({**claims, "aud": refresh.client_id, "iat": issued, "exp": issued + 3600})


def token_response(state, refresh, include_refresh):
    access = state.issue_access(refresh)
    body = {"access_token": access.token, "expires_in": state.access_ttl, "scope": refresh.scope,
            "token_type": "Bearer"}
    if refresh.provider == MICROSOFT:
        body["ext_expires_in"] = state.access_ttl
    if include_refresh:
        body["refresh_token"] = refresh.token
    if refresh.provider == MICROSOFT or {"openid", "email"} & set(refresh.scope.split()):
        body["id_token"] = id_token(state, refresh)
    return json_reply(200, body, {"Cache-Control": "no-store", "Pragma": "no-cache"})


def exchange_code(state, provider, form, client_id, tenant):
    code = state.codes.get(form.get("code", ""))
    if code is None or code.provider != provider or code.used:
        return invalid_grant(provider, "The authorization code is invalid or was already redeemed.")
    if time.time() - code.issued > CODE_LIFETIME:
        return invalid_grant(provider, "The provided authorization code has expired.")
    if code.client_id != client_id or code.redirect_uri != form.get("redirect_uri"):
        return invalid_grant(provider, "redirect_uri or client_id differ from the authorization request.")
    if pkce_challenge(form.get("code_verifier", "")) != code.challenge:
        return invalid_grant(provider, "The code_verifier does not match the code_challenge.")
    code.used = True
    refresh = state.issue_refresh(provider, code.email, client_id, granted_scope(provider, code.scope),
                                  tenant or code.tenant)
    return token_response(state, refresh, include_refresh=True)


def refresh_grant(state, provider, form, client_id):
    refresh = state.refresh_tokens.get(form.get("refresh_token", ""))
    known = refresh is not None and refresh.provider == provider and refresh.client_id == client_id
    if not known or not refresh.valid:
        return invalid_grant(provider, "The refresh token has expired or was revoked.")
    refresh.last_used = time.time()
    if provider == GOOGLE:
        return token_response(state, refresh, include_refresh=False)
    refresh.valid = False
    rotated = state.issue_refresh(provider, refresh.email, client_id, refresh.scope, refresh.tenant)
    return token_response(state, rotated, include_refresh=True)


def token_endpoint(state, provider, form, authorization, tenant=None):
    client_id, secret = client_credentials(form, authorization)
    if (client_id, secret) != state.clients[provider]:
        return oauth_error(provider, 401, "invalid_client",
                           "Unauthorized" if provider == GOOGLE else "Invalid client secret provided.")
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        return exchange_code(state, provider, form, client_id, tenant)
    if grant_type == "refresh_token":
        return refresh_grant(state, provider, form, client_id)
    return oauth_error(provider, 400, "unsupported_grant_type", f"Invalid grant_type: {grant_type or ''}")


def revoke(state, query, form):
    """Google revocation: either token of a grant ends the refresh token and its access tokens."""
    value = query.get("token") or form.get("token", "")
    token = state.refresh_tokens.get(value) or state.access_tokens.get(value)
    if token is None or token.provider != GOOGLE or not token.usable():
        return json_reply(400, {"error": "invalid_token", "error_description": "Token expired or revoked"})
    family = token.refresh or token.token
    token.valid = False
    if family in state.refresh_tokens:
        state.refresh_tokens[family].valid = False
    for access in state.access_tokens.values():
        if access.refresh == family:
            access.valid = False
    return json_reply(200, {})


# ---------------------------------------------------------------- calendars


def occupied(account):
    """Every interval of the account's calendar: configured busy entries and live events."""
    spans = list(account.busy)
    for event in account.events.values():
        if event.deleted:
            continue
        if account.provider == GOOGLE:
            status = "free" if event.resource.get("transparency") == "transparent" else "busy"
            subject, location = event.resource.get("summary", ""), event.resource.get("location", "")
        else:
            status = event.resource.get("showAs", "busy")
            subject = event.resource.get("subject", "")
            location = (event.resource.get("location") or {}).get("displayName", "")
        spans.append(Busy(event.span[0], event.span[1], status, subject, location))
    return sorted(spans, key=lambda span: (span.start, span.end))


def merged_busy(spans, start, end):
    """Busy intervals clipped to [start, end), overlapping ones joined."""
    merged = []
    for span in spans:
        low, high = max(span.start, start), min(span.end, end)
        if span.status == "free" or low >= high:
            continue
        if merged and low <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    return [{"start": utc_seconds(low), "end": utc_seconds(high)} for low, high in merged]


def free_busy(state, account, body):
    try:
        start, end = parse_rfc3339(body["timeMin"]), parse_rfc3339(body["timeMax"])
    except (KeyError, TypeError, ValueError):
        return google_error(400, "required", "Missing or invalid timeMin or timeMax parameter.")
    if end <= start:
        return google_error(400, "timeRangeEmpty", "The specified time range is empty.")
    calendars = {}
    for item in body.get("items") or []:
        ident = item.get("id", "")
        owner = account if ident == "primary" else state.find_account(GOOGLE, ident)
        if owner is None or owner.calendar_error:
            reason = owner.calendar_error if owner else "notFound"
            calendars[ident] = {"busy": [], "errors": [{"domain": "global", "reason": reason}]}
        else:
            calendars[ident] = {"busy": merged_busy(occupied(owner), start, end)}
    return json_reply(200, {"kind": "calendar#freeBusy", "timeMin": utc_millis(start),
                            "timeMax": utc_millis(end), "groups": {}, "calendars": calendars})


def google_time(value):
    """UTC instant of a Google event time: {"dateTime", "timeZone"?} or {"date"}."""
    if "dateTime" in value:
        text = value["dateTime"]
        return parse_rfc3339(text) if UTC_OFFSET.search(text) else parse_local(text, value.get("timeZone"))
    day = date.fromisoformat(value["date"])
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


def google_span(fields):
    if not isinstance(fields.get("start"), dict) or not isinstance(fields.get("end"), dict):
        raise Refusal(google_error(400, "timeRangeEmpty", "The specified time range is empty."))
    try:
        span = google_time(fields["start"]), google_time(fields["end"])
    except (KeyError, TypeError, ValueError):
        raise Refusal(google_error(400, "invalid", "Invalid start or end time.")) from None
    if span[1] <= span[0]:
        raise Refusal(google_error(400, "timeRangeEmpty", "The specified time range is empty."))
    return span


def new_etag():
    return f'"{time.time_ns() // 1000}{secrets.randbelow(1000):03d}"'


def google_resource(account, event, fields, moment):
    person = {"email": account.email, "self": True}
    link = base64.b64encode(f"{event.id} {account.email}".encode()).decode().rstrip("=")
    resource = {"kind": "calendar#event", "etag": new_etag(), "id": event.id,
                "status": fields.get("status", "confirmed"),
                "htmlLink": f"https://www.google.com/calendar/event?eid={link}",
                "created": utc_millis(event.created), "updated": utc_millis(moment),
                "creator": person, "organizer": person, "iCalUID": f"{event.id}@google.com",
                "sequence": event.sequence, "reminders": {"useDefault": True}, "eventType": "default"}
    resource.update({key: value for key, value in fields.items() if key not in GOOGLE_SERVER_FIELDS})
    if isinstance(resource.get("attendees"), list):
        resource["attendees"] = [{"responseStatus": "needsAction", **attendee}
                                 for attendee in resource["attendees"]]
    return resource


def google_insert(account, body, query):
    span = google_span(body)
    event_id = body.get("id")
    if event_id is None:
        event_id = "".join(secrets.choice(BASE32HEX) for _ in range(26))
    elif not isinstance(event_id, str) or not GOOGLE_EVENT_ID.match(event_id):
        return google_error(400, "invalidResourceId", "Invalid resource id value.")
    elif event_id in account.events:
        return google_error(409, "duplicate", "The requested identifier already exists.")
    moment = now_utc()
    event = Event(event_id, {}, span, query, moment)
    event.resource = google_resource(account, event, body, moment)
    event.record("create", query)
    account.events[event_id] = event
    return json_reply(200, event.resource)


def google_write(account, event, fields, op, query):
    span = google_span(fields)
    if span != event.span:
        event.sequence += 1
        event.span = span
    event.resource = google_resource(account, event, fields, now_utc())
    event.deleted = event.resource["status"] == "cancelled"
    event.record(op, query)
    return json_reply(200, event.resource)


def google_event(account, event_id, method, body, query):
    event = account.events.get(event_id)
    if event is None:
        return google_error(404, "notFound", "Not Found")
    if method == "GET":
        return json_reply(200, event.resource)
    if event.deleted:
        return google_error(410, "deleted", "Resource has been deleted")
    if method == "PATCH":
        return google_write(account, event, {**event.resource, **body}, "patch", query)
    if method == "PUT":
        return google_write(account, event, body, "put", query)
    event.deleted = True
    event.resource = {**event.resource, "status": "cancelled", "etag": new_etag(),
                      "updated": utc_millis(now_utc())}
    event.record("delete", query)
    return Reply(204)


def google_api(state, method, path, query, body, authorization):
    account = state.bearer(GOOGLE, authorization)
    if account is None:
        return google_auth_error()
    parts = [unquote(part) for part in path[len(GOOGLE_API):].strip("/").split("/")]
    if method == "POST" and parts == ["freeBusy"]:
        return free_busy(state, account, body)
    if len(parts) < 2 or parts[0] != "calendars":
        return google_error(404, "notFound", "Not Found")
    if parts[1] != "primary" and parts[1].lower() != account.email.lower():
        return google_error(404, "notFound", "Not Found")
    if method == "GET" and len(parts) == 2:
        return json_reply(200, {"kind": "calendar#calendar", "id": account.email, "summary": account.email,
                                "timeZone": "UTC"})
    if method == "POST" and parts[2:] == ["events"]:
        return google_insert(account, body, query)
    if len(parts) == 4 and parts[2] == "events" and method in ("GET", "PATCH", "PUT", "DELETE"):
        return google_event(account, parts[3], method, body, query)
    return google_error(404, "notFound", "Not Found")


def graph_time(value, which):
    if not isinstance(value, dict) or not isinstance(value.get("dateTime"), str):
        raise Refusal(graph_error(400, "ErrorInvalidRequest", f"The {which} time of the event is missing."))
    try:
        instant = parse_local(value["dateTime"], value.get("timeZone"))
    except ValueError as problem:
        raise Refusal(graph_error(400, "ErrorInvalidRequest",
                                  f"Invalid {which} dateTime: {problem}.")) from None
    wall_clock = datetime.fromisoformat(value["dateTime"])
    return instant, {"dateTime": graph_wall_clock(wall_clock), "timeZone": value.get("timeZone") or "UTC"}


def graph_resource(account, event, fields, moment):
    stamp = graph_wall_clock(moment) + "Z"
    change_key = base64.b64encode(secrets.token_bytes(18)).decode()
    resource = {"@odata.context": f"{GRAPH_METADATA}#users('{account.email}')/events/$entity",
                "@odata.etag": f'W/"{change_key}"', "id": event.id,
                "createdDateTime": graph_wall_clock(event.created) + "Z", "lastModifiedDateTime": stamp,
                "changeKey": change_key, "iCalUId": event.resource.get("iCalUId") or
                "040000008200E00074C5B7101A82E00800000000" + secrets.token_hex(24).upper(),
                "webLink": "https://outlook.office365.com/owa/?itemid=" + quote(event.id, safe="")
                           + "&exvsurl=1&path=/calendar/item",
                "isCancelled": False, "isOrganizer": True, "showAs": "busy",
                "organizer": {"emailAddress": {"name": account.name, "address": account.email}}}
    resource.update({key: value for key, value in fields.items() if key not in GRAPH_SERVER_FIELDS})
    if isinstance(resource.get("attendees"), list):
        unanswered = {"response": "none", "time": "0001-01-01T00:00:00Z"}
        resource["attendees"] = [{"type": "required", "status": unanswered, **attendee}
                                 for attendee in resource["attendees"]]
    return resource


def graph_span(fields):
    start, fields["start"] = graph_time(fields.get("start"), "start")
    end, fields["end"] = graph_time(fields.get("end"), "end")
    return start, end


def graph_create(account, body, query):
    transaction = body.get("transactionId")
    for event in account.events.values():
        if transaction and event.transaction_id == transaction and not event.deleted:
            event.record("duplicate", query)
            return json_reply(201, event.resource, content_type=GRAPH_JSON_TYPE)
    fields = dict(body)
    span = graph_span(fields)
    event_id = "AAMkAGfake" + secrets.token_urlsafe(96) + "="
    moment = now_utc()
    event = Event(event_id, {}, span, query, moment, transaction_id=transaction)
    event.resource = graph_resource(account, event, fields, moment)
    event.record("create", query)
    account.events[event_id] = event
    return json_reply(201, event.resource, content_type=GRAPH_JSON_TYPE)


def graph_event(account, event_id, method, body, query):
    event = account.events.get(event_id)
    if event is None or event.deleted:
        return graph_not_found()
    if method == "GET":
        return json_reply(200, event.resource, content_type=GRAPH_JSON_TYPE)
    if method == "DELETE":
        event.deleted = True
        event.record("delete", query)
        return Reply(204)
    fields = {**event.resource, **body}
    span = graph_span(fields)
    if span != event.span:
        event.sequence += 1
        event.span = span
    event.resource = graph_resource(account, event, fields, now_utc())
    event.record("patch", query)
    return json_reply(200, event.resource, content_type=GRAPH_JSON_TYPE)


def schedule_item(span, tz):
    def moment(instant):
        return {"dateTime": graph_wall_clock(instant.astimezone(tz)), "timeZone": str(tz)}

    return {"isPrivate": False, "status": span.status, "subject": span.subject, "location": span.location,
            "start": moment(span.start), "end": moment(span.end)}


def availability_view(spans, start, end, interval):
    digits = []
    for index in range(math.ceil((end - start) / interval)):
        low, high = start + index * interval, min(start + (index + 1) * interval, end)
        statuses = [span.status for span in spans if span.start < high and span.end > low]
        digits.append(AVAILABILITY_DIGIT[max(statuses, key=AVAILABILITY_RANK.get, default="free")])
    return "".join(digits)


def schedule(state, email, start, end, interval, tz):
    owner = state.find_account(MICROSOFT, email)
    if owner is None or owner.calendar_error:
        code = owner.calendar_error if owner else "ErrorMailboxNotFound"
        message = ("The specified mailbox could not be found." if code == "ErrorMailboxNotFound"
                   else f"The free/busy information could not be retrieved ({code}).")
        return {"scheduleId": email, "availabilityView": "", "scheduleItems": [],
                "error": {"message": message, "responseCode": code}}
    spans = [span for span in occupied(owner) if span.start < end and span.end > start]
    return {"scheduleId": email, "availabilityView": availability_view(spans, start, end, interval),
            "scheduleItems": [schedule_item(span, tz) for span in spans],
            "workingHours": {"daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
                             "startTime": "08:00:00.0000000", "endTime": "17:00:00.0000000",
                             "timeZone": {"name": "UTC"}}}


def get_schedule(state, body, prefer):
    try:
        start = parse_local(body["startTime"]["dateTime"], body["startTime"].get("timeZone"))
        end = parse_local(body["endTime"]["dateTime"], body["endTime"].get("timeZone"))
    except (KeyError, TypeError, ValueError, AttributeError) as problem:
        return graph_error(400, "ErrorInvalidRequest", f"Invalid startTime or endTime: {problem}.")
    interval = body.get("availabilityViewInterval", 30)
    if not isinstance(interval, int) or not 5 <= interval <= 1440 or end <= start:
        return graph_error(400, "ErrorInvalidRequest", "Invalid availabilityViewInterval or time range.")
    wanted = PREFER_TIMEZONE.search(prefer or "")
    tz = (zone(wanted.group(1).strip()) if wanted else None) or timezone.utc
    step = timedelta(minutes=interval)
    value = [schedule(state, email, start, end, step, tz) for email in body.get("schedules") or []]
    context = GRAPH_METADATA + "#Collection(microsoft.graph.scheduleInformation)"
    return json_reply(200, {"@odata.context": context, "value": value}, content_type=GRAPH_JSON_TYPE)


def graph_api(state, method, path, body, query, headers):
    account = state.bearer(MICROSOFT, headers.get("Authorization"))
    if account is None:
        return graph_auth_error()
    parts = [unquote(part) for part in path[len(GRAPH_API):].strip("/").split("/")]
    if method == "GET" and parts == ["me"]:
        return json_reply(200, {"@odata.context": GRAPH_METADATA + "#users/$entity", "id": account.id,
                                "displayName": account.name, "mail": account.email,
                                "userPrincipalName": account.email}, content_type=GRAPH_JSON_TYPE)
    if method == "POST" and parts == ["me", "calendar", "getSchedule"]:
        return get_schedule(state, body, headers.get("Prefer"))
    if method == "POST" and parts == ["me", "events"]:
        return graph_create(account, body, query)
    if len(parts) == 3 and parts[:2] == ["me", "events"] and method in ("GET", "PATCH", "DELETE"):
        return graph_event(account, parts[2], method, body, query)
    return graph_error(404, "ResourceNotFound", f"Resource not found for the segment '{parts[-1]}'.")


# ---------------------------------------------------------------- failures


def injected_failure(rule, path):
    """The reply for a failure rule, in the format of the endpoint that `path` names."""
    status = rule.status
    headers = {"Retry-After": str(rule.retry_after)} if rule.retry_after is not None else {}
    if path.startswith(GOOGLE_API):
        fallback = GOOGLE_FAILURES[500 if status >= 500 else 400]
        domain, reason, message = GOOGLE_FAILURES.get(status, fallback)
        return google_error(status, reason, message, domain, headers)
    if path.startswith(GRAPH_API):
        code, message = GRAPH_FAILURES.get(status, GRAPH_FAILURES[500 if status >= 500 else 400])
        return graph_error(status, code, message, headers)
    identity = MS_IDENTITY.match(path)
    if path in ("/google/token", "/google/revoke") or (identity and identity["endpoint"] == "token"):
        provider = GOOGLE if path.startswith("/google/") else MICROSOFT
        busy = status >= 500 or status == 429
        error = rule.oauth_error or ("temporarily_unavailable" if busy else "invalid_request")
        description = ("Bad Request" if provider == GOOGLE and error == "invalid_grant"
                       else OAUTH_FAILURE_TEXT.get(error, "The request was refused."))
        return oauth_error(provider, status, error, description, headers)
    return html_reply(status, f"Error {status}", "Injected failure.", headers)


# ---------------------------------------------------------------- control


def provider_of(data):
    provider = data.get("provider")
    if provider not in PROVIDERS:
        raise control_error("provider must be google or microsoft")
    return provider


def email_of(data):
    email = data.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise control_error("email is required")
    return email


def busy_entry(entry):
    try:
        span = Busy(parse_rfc3339(entry["start"]), parse_rfc3339(entry["end"]), entry.get("status", "busy"),
                    entry.get("subject", "Busy"), entry.get("location", ""))
    except (KeyError, TypeError, ValueError) as problem:
        raise control_error(f"busy entries need RFC 3339 start and end: {problem}") from None
    if span.status not in AVAILABILITY_DIGIT or span.end <= span.start:
        raise control_error(f"bad busy entry {entry}")
    return span


def failure_rule(data):
    try:
        rule = FailureRule(data.get("path_prefix", "/"), data.get("method"), int(data["status"]),
                           data.get("retry_after"), int(data.get("count", 1)), int(data.get("delay_ms", 0)),
                           data.get("oauth_error"))
    except (KeyError, TypeError, ValueError, AttributeError) as problem:
        raise control_error(f"a failure rule needs path_prefix and status: {problem}") from None
    rule.method = rule.method.upper() if rule.method else None
    return rule


def matching_tokens(tokens, data):
    provider, email = provider_of(data), data.get("email")
    return [token for token in tokens.values()
            if token.provider == provider and (email is None or token.email.lower() == email.lower())]


def token_listing(state, provider):
    def entry(token, access):
        listed = {"email": token.email, "token": token.token, "valid": token.usable(),
                  "client_id": token.client_id, "tenant": token.tenant, "last_used": token.last_used}
        return {**listed, "expires_at": token.expires_at} if access else listed

    return {"refresh_tokens": [entry(token, False) for token in state.refresh_tokens.values()
                               if token.provider == provider],
            "access_tokens": [entry(token, True) for token in state.access_tokens.values()
                              if token.provider == provider]}


def control_post(state, name, data):
    if name == "reset":
        state.reset()
    elif name == "next-account":
        state.next_account[provider_of(data)] = {"email": email_of(data), "name": data.get("name")}
    elif name == "deny-next":
        state.deny_next.add(provider_of(data))
    elif name == "busy":
        spans = [busy_entry(entry) for entry in data.get("busy") or []]
        state.account(provider_of(data), email_of(data)).busy = spans
    elif name == "calendar-error":
        state.account(provider_of(data), email_of(data)).calendar_error = data.get("reason")
    elif name == "access-ttl":
        if not isinstance(data.get("seconds"), int):
            raise control_error("seconds must be an integer")
        state.access_ttl = data["seconds"]
    elif name == "expire-access-tokens":
        for token in matching_tokens(state.access_tokens, data):
            token.valid = False
    elif name == "revoke-refresh-tokens":
        for token in matching_tokens(state.refresh_tokens, data):
            token.valid = False
    elif name == "fail":
        state.rules += [failure_rule(rule) for rule in (data if isinstance(data, list) else [data])]
    elif name == "clear-failures":
        state.rules = []
    else:
        return json_reply(404, {"error": f"no control {name}"})
    return json_reply(200, {"ok": True})


def control_get(state, name, query):
    if name == "events":
        account = state.find_account(provider_of(query), email_of(query))
        events = account.events.values() if account else []
        return json_reply(200, {"events": [event.listing() for event in events]})
    if name == "requests":
        prefix = query.get("path_prefix", "")
        return json_reply(200, {"requests": [entry for entry in state.requests
                                             if entry["path"].startswith(prefix)]})
    if name == "tokens":
        return json_reply(200, token_listing(state, provider_of(query)))
    return json_reply(404, {"error": f"no control {name}"})


# ---------------------------------------------------------------- HTTP


def single_values(pairs):
    values = {}
    for key, value in pairs:
        values.setdefault(key, value)
    return values


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-providers"
    sys_version = ""

    def do_GET(self):
        self.handle_request()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def log_message(self, *args):
        pass

    @property
    def state(self):
        return self.server.state

    def handle_request(self):
        url = urlsplit(self.path)
        path, query = url.path, single_values(parse_qsl(url.query, keep_blank_values=True))
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if path.startswith("/_control/"):
            self.send(self.control(path[len("/_control/"):], query, raw))
            return
        entry = self.log_entry(path, query, raw)
        with self.state.lock:
            rule = self.state.take_failure(self.command, path)
            entry["injected"] = bool(rule and rule.status != 0)
            self.state.requests.append(entry)
        if rule and rule.delay_ms > 0:
            time.sleep(rule.delay_ms / 1000)
        if rule and rule.status == -1:
            self.close_connection = True
            return
        with self.state.lock:
            reply = injected_failure(rule, path) if entry["injected"] else self.answer(path, query, raw)
            entry["status"] = reply.status
        self.send(reply)

    def log_entry(self, path, query, raw):
        authorization = self.headers.get("Authorization")
        entry = {"time": time.time(), "method": self.command, "path": path, "query": query, "status": None,
                 "headers": {"prefer": self.headers.get("Prefer"),
                             "authorization_scheme": authorization.split(" ")[0] if authorization else None,
                             "content_type": self.headers.get("Content-Type")}}
        content_type = self.headers.get("Content-Type") or ""
        if content_type.startswith("application/x-www-form-urlencoded"):
            entry["form"] = single_values(parse_qsl(raw.decode(errors="replace"), keep_blank_values=True))
        elif content_type.startswith("application/json") and raw:
            try:
                entry["json"] = json.loads(raw)
            except ValueError:
                entry["json"] = None
        identity = MS_IDENTITY.match(path)
        if identity:
            entry["tenant"] = identity["tenant"]
        return entry

    def answer(self, path, query, raw):
        try:
            return self.route(path, query, raw)
        except Refusal as refusal:
            return refusal.reply
        except Exception:  # a bug here should fail the test loudly, not drop the connection
            traceback.print_exc()
            return html_reply(500, "500 Internal Server Error", traceback.format_exc())

    def route(self, path, query, raw):
        method, identity = self.command, MS_IDENTITY.match(path)
        form = single_values(parse_qsl(raw.decode(errors="replace"), keep_blank_values=True))
        if method == "GET" and path == "/google/o/oauth2/v2/auth":
            return authorize(self.state, GOOGLE, query)
        if method == "POST" and path == "/google/token":
            return token_endpoint(self.state, GOOGLE, form, self.headers.get("Authorization"))
        if method == "POST" and path == "/google/revoke":
            return revoke(self.state, query, form)
        if identity and identity["endpoint"] == "authorize" and method == "GET":
            return authorize(self.state, MICROSOFT, query, identity["tenant"])
        if identity and identity["endpoint"] == "token" and method == "POST":
            return token_endpoint(self.state, MICROSOFT, form, self.headers.get("Authorization"),
                                  identity["tenant"])
        if path.startswith(GOOGLE_API + "/"):
            return google_api(self.state, method, path, query, self.json_body(raw, GOOGLE),
                              self.headers.get("Authorization"))
        if path.startswith(GRAPH_API + "/"):
            return graph_api(self.state, method, path, self.json_body(raw, MICROSOFT), query, self.headers)
        return html_reply(404, "404 Not Found", f"Nothing is served at {method} {path}.")

    @staticmethod
    def json_body(raw, provider):
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if isinstance(body, dict):
            return body
        if provider == GOOGLE:
            raise Refusal(google_error(400, "parseError", "Parse Error"))
        raise Refusal(graph_error(400, "BadRequest", "Unable to read JSON request payload."))

    def control(self, name, query, raw):
        try:
            data = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return json_reply(400, {"error": "the body is not JSON"})
        if not isinstance(data, dict) and not (name == "fail" and isinstance(data, list)):
            return json_reply(400, {"error": "the body must be a JSON object"})
        with self.state.lock:
            try:
                if self.command == "GET":
                    return control_get(self.state, name, query)
                return control_post(self.state, name, data)
            except Refusal as refusal:
                return refusal.reply

    def send(self, reply):
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.status not in (204, 304):
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # clients open many connections at once; the default 5 resets some

    def __init__(self, port, state):
        super().__init__(("127.0.0.1", port), Handler)
        self.state = state


def client_pair(text):
    client_id, separator, secret = text.partition(":")
    if not separator or not client_id:
        raise argparse.ArgumentTypeError("expected ID:SECRET")
    return client_id, secret


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--google-client", type=client_pair, default=("google-client", "google-secret"))
    parser.add_argument("--microsoft-client", type=client_pair, default=("ms-client", "ms-secret"))
    parser.add_argument("--access-ttl", type=int, default=3599)
    args = parser.parse_args()
    server = Server(args.port, State({GOOGLE: args.google_client, MICROSOFT: args.microsoft_client},
                                     args.access_ttl))
    print("ready", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
