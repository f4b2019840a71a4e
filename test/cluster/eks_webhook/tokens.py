"""EKS token verification: aws-iam-authenticator's rules for `k8s-aws-v1.` tokens, then what STS checks
when the authenticator forwards the presigned GetCallerIdentity (the SigV4 signature, verified with
botocore against the keys held in moto's memory)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
import re
import urllib.parse
from dataclasses import dataclass
from typing import Callable

from .sts import Credential, StsError, lookup_credential
from .sts_hosts import HostRefused, check_sts_host, partition_of, signing_region


V1_PREFIX = "k8s-aws-v1."
MAX_TOKEN_BYTES = 4096
CLUSTER_ID_HEADER = "x-k8s-aws-id"
PRESIGNED_URL_LIFETIME = dt.timedelta(minutes=15)
# STS refuses requests signed too far in the future; a few minutes of clock
# skew between signer and verifier is tolerated.
MAX_FUTURE_SKEW = dt.timedelta(minutes=5)
# aws-iam-authenticator's parameterWhitelist; keys are compared lowercased.
ALLOWED_PARAMS = frozenset({
    "action", "version", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-expires",
    "x-amz-security-token", "x-amz-signature", "x-amz-signedheaders",
})
# STS itself reads these with exact spelling; a signer that lowercases them
# produces a request STS does not treat as presigned.
REQUIRED_STS_PARAMS = ("Action", "Version", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
                       "X-Amz-SignedHeaders", "X-Amz-Signature")
STS_API_VERSION = "2011-06-15"


def utcnow() -> dt.datetime:
    """Naive UTC, the form moto keeps credential expirations in."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class TokenRejected(Exception):
    """The token is refused; str(e) is a loggable reason (never token material)."""


def format_error(message: str) -> TokenRejected:
    return TokenRejected(f"input token was not properly formatted: {message}")


def _sts_error(message: str) -> TokenRejected:
    return TokenRejected(f"sts getCallerIdentity failed: {message}")


@dataclass(frozen=True)
class Identity:
    arn: str
    canonical_arn: str
    account_id: str
    user_id: str
    session_name: str
    access_key_id: str


@dataclass(frozen=True)
class PresignedUrl:
    host: str
    params: list[tuple[str, str]]  # decoded, in URL order, original key spelling
    lower: dict[str, str]  # lowercased key -> value


def _sanitize(value: str, limit: int = 64) -> str:
    """A short printable rendering of an untrusted, non-secret value."""
    return repr(value[:limit] + ("…" if len(value) > limit else ""))


def decode_token(token: str) -> str:
    if len(token.encode("utf-8", "surrogatepass")) > MAX_TOKEN_BYTES:
        raise format_error("token is too large")
    if not token.startswith(V1_PREFIX):
        raise format_error(f"token is missing expected {V1_PREFIX!r} prefix")
    body = token[len(V1_PREFIX):]
    # Go's base64.RawURLEncoding: URL alphabet, no '=' padding. (Go also skips
    # CR/LF inside the data; a bearer token cannot carry them, so we refuse.)
    bad = re.search(r"[^A-Za-z0-9_-]", body)
    if bad:
        raise format_error(f"illegal base64 data at input byte {bad.start()}")
    if len(body) % 4 == 1:
        raise format_error(f"illegal base64 data at input byte {len(body) - 1}")
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        url = raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as e:
        raise format_error(f"token is not a base64url-encoded UTF-8 URL: {type(e).__name__}") from None
    if re.search(r"[\x00-\x1f\x7f]", url):
        raise format_error("invalid control character in URL")
    if url != url.strip():
        # Go's url.Parse fails on these; Python's urlsplit would strip them.
        raise format_error("unexpected whitespace around the pre-signed URL")
    return url


def parse_presigned_url(url: str, check_host: Callable[[str], None]) -> PresignedUrl:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https":
        raise format_error(f"unexpected scheme {parts.scheme!r} in pre-signed URL")
    if "@" in parts.netloc:
        # Go would drop userinfo from Host; refusing is simpler and never wrong here.
        raise format_error("unexpected userinfo in pre-signed URL")
    try:
        check_host(parts.netloc)
    except HostRefused as e:
        raise format_error(str(e)) from None
    if parts.path != "/":
        raise format_error("unexpected path in pre-signed URL")
    params = parse_query(parts.query)
    lower = check_query_params(params)
    return PresignedUrl(parts.netloc, params, lower)


def parse_query(raw_query: str) -> list[tuple[str, str]]:
    """Go's url.ParseQuery: '&'-separated, ';' refused, '+' is a space."""
    params = []
    for segment in raw_query.split("&"):
        if ";" in segment:
            raise format_error("malformed query parameter")
        if not segment:
            continue
        key, _, value = segment.partition("=")
        params.append((_query_unescape(key), _query_unescape(value)))
    return params


def _query_unescape(text: str) -> str:
    if re.search(r"%(?![0-9A-Fa-f]{2})", text):
        raise format_error("malformed query parameter")
    try:
        return urllib.parse.unquote_plus(text, errors="strict")
    except UnicodeDecodeError:
        raise format_error("malformed query parameter") from None


def check_query_params(params: list[tuple[str, str]]) -> dict[str, str]:
    keys = list(dict.fromkeys(k for k, _ in params))  # distinct, in order
    seen_lower: set[str] = set()
    for key in keys:
        if key.lower() in seen_lower:
            raise format_error(f"duplicate query parameter found: {_sanitize(key)}")
        seen_lower.add(key.lower())
    lower = {}
    for key in keys:
        if key.lower() not in ALLOWED_PARAMS:
            raise format_error(f"non-whitelisted query parameter {_sanitize(key)}")
        values = [v for k, v in params if k == key]
        if len(values) != 1:
            raise format_error("query parameter with multiple values not supported")
        lower[key.lower()] = values[0]
    return lower


def check_authenticator_rules(q: dict[str, str], now: dt.datetime) -> dt.datetime:
    """The checks aws-iam-authenticator makes before calling STS; returns X-Amz-Date."""
    if q.get("action", "") != "GetCallerIdentity":
        raise format_error("unexpected action parameter in pre-signed URL")
    signed = q.get("x-amz-signedheaders", "").split(";")
    if CLUSTER_ID_HEADER not in (h.lower() for h in signed):
        raise format_error(f"client did not sign the {CLUSTER_ID_HEADER} header in the pre-signed URL")
    expires = q.get("x-amz-expires", "")
    # strconv.Atoi: optional sign, ASCII digits, nothing else.
    if not re.fullmatch(r"[+-]?[0-9]+", expires) or not 0 <= int(expires) <= 900:
        raise format_error(f"invalid X-Amz-Expires parameter in pre-signed URL: {_sanitize(expires, 16)}")
    date = q.get("x-amz-date", "")
    if not date:
        raise format_error("X-Amz-Date parameter must be present in pre-signed URL")
    signed_at = parse_amz_date(date)
    if now > signed_at + PRESIGNED_URL_LIFETIME:
        raise format_error("X-Amz-Date parameter is expired (15 minute expiration) "
                            f"{signed_at:%Y-%m-%d %H:%M:%S} +0000 UTC")
    return signed_at


def parse_amz_date(date: str) -> dt.datetime:
    # Go's time.Parse("20060102T150405Z") wants exactly these digits;
    # strptime alone would accept one-digit months and the like.
    try:
        if not re.fullmatch(r"\d{8}T\d{6}Z", date):
            raise ValueError
        return dt.datetime.strptime(date, "%Y%m%dT%H%M%SZ")
    except ValueError:
        raise format_error(f"error parsing X-Amz-Date parameter {_sanitize(date, 32)} "
                            "into format 20060102T150405Z") from None


@dataclass(frozen=True)
class Verifier:
    """Verifies tokens for one cluster, with STS's view held by moto."""

    cluster_name: str
    region: str
    account_id: str
    clock: Callable[[], dt.datetime] = utcnow
    # aws-iam-authenticator's --partition; by default the region's. It decides which STS hosts a token may
    # name: any region of the partition, FIPS and dual-stack included, as EKS's authenticator accepts.
    partition: str = ""

    def __post_init__(self) -> None:
        if not self.partition:
            object.__setattr__(self, "partition", partition_of(self.region))

    def check_host(self, host: str) -> None:
        check_sts_host(host, self.partition, self.region)

    def verify(self, token: str) -> Identity:
        now = self.clock()
        url = parse_presigned_url(decode_token(token), self.check_host)
        signed_at = check_authenticator_rules(url.lower, now)
        cred = self.sts_verify(url, signed_at, now)
        return identity_from_credential(cred)

    # -- what STS checks when the authenticator forwards the request ----------

    def sts_verify(self, url: PresignedUrl, signed_at: dt.datetime, now: dt.datetime) -> Credential:
        exact = dict(url.params)
        for name in REQUIRED_STS_PARAMS:
            if name not in exact:
                raise _sts_error(f"MissingParameter: the request must contain the parameter {name} (exact spelling)")
        if exact["Version"] != STS_API_VERSION:
            raise _sts_error(f"InvalidAction: unsupported Version {_sanitize(exact['Version'], 16)}")
        if exact["X-Amz-Algorithm"] != "AWS4-HMAC-SHA256":
            raise _sts_error("IncompleteSignature: unsupported X-Amz-Algorithm")
        if signed_at > now + MAX_FUTURE_SKEW:
            raise _sts_error("SignatureDoesNotMatch: signature not yet current (X-Amz-Date is in the future)")
        access_key_id, region = self._check_credential_scope(exact["X-Amz-Credential"], exact["X-Amz-Date"], url.host)
        signed_headers = self._check_signed_headers(exact["X-Amz-SignedHeaders"])
        cred = self._credential(access_key_id, exact.get("X-Amz-Security-Token"))
        self._check_signature(url, cred, region, signed_headers, exact)
        if cred.expiration is not None and now >= cred.expiration:
            raise _sts_error("ExpiredToken: the security token included in the request is expired")
        return cred

    def _check_credential_scope(self, credential: str, date: str, host: str) -> tuple[str, str]:
        parts = credential.split("/")
        if len(parts) != 5 or parts[4] != "aws4_request" or parts[3] != "sts" or not parts[0]:
            raise _sts_error("IncompleteSignature: malformed X-Amz-Credential")
        if parts[1] != date[:8]:
            raise _sts_error("SignatureDoesNotMatch: credential scope date does not match X-Amz-Date")
        if parts[2] != signing_region(host):
            raise _sts_error(f"SignatureDoesNotMatch: credential should be scoped to region "
                             f"{signing_region(host)!r}, not {_sanitize(parts[2], 32)}")
        return parts[0], parts[2]

    @staticmethod
    def _check_signed_headers(value: str) -> list[str]:
        headers = value.split(";")
        if headers != sorted(headers) or any(h != h.lower() or not h for h in headers):
            raise _sts_error("SignatureDoesNotMatch: X-Amz-SignedHeaders must be lowercase and sorted")
        if "host" not in headers:
            raise _sts_error("SignatureDoesNotMatch: the host header must be signed")
        unknown = [h for h in headers if h not in ("host", CLUSTER_ID_HEADER, "accept")]
        if unknown:
            raise _sts_error(f"SignatureDoesNotMatch: signed header {_sanitize(unknown[0], 40)} is not one "
                             f"the authenticator sends (host, {CLUSTER_ID_HEADER}, accept)")
        return headers

    def _credential(self, access_key_id: str, session_token: str | None) -> Credential:
        try:
            cred = lookup_credential(self.account_id, access_key_id)
        except StsError as e:
            raise _sts_error(str(e)) from None
        if cred.session_token is None:
            if session_token is not None:
                raise _sts_error("InvalidClientTokenId: a security token was sent with a long-term access key")
        elif session_token is None or not hmac.compare_digest(session_token.encode(), cred.session_token.encode()):
            raise _sts_error("InvalidClientTokenId: the security token included in the request is invalid")
        return cred

    def _check_signature(self, url: PresignedUrl, cred: Credential, region: str,
                         signed_headers: list[str], exact: dict[str, str]) -> None:
        header_values = {"host": url.host, CLUSTER_ID_HEADER: self.cluster_name, "accept": "application/json"}
        headers = {h: header_values[h] for h in signed_headers}
        params = [(k, v) for k, v in url.params if k != "X-Amz-Signature"]
        expected = sigv4_query_signature(cred, region, url.host, params, headers, exact["X-Amz-Date"])
        if not hmac.compare_digest(expected.encode(), exact["X-Amz-Signature"].encode()):
            if CLUSTER_ID_HEADER in signed_headers:
                raise _sts_error(f"SignatureDoesNotMatch: signature mismatch — the token was not signed for "
                                 f"{CLUSTER_ID_HEADER}={self.cluster_name!r} (wrong cluster?) or was altered")
            raise _sts_error("SignatureDoesNotMatch: signature mismatch")


def sigv4_query_signature(cred: Credential, region: str, host: str, params: list[tuple[str, str]],
                          headers: dict[str, str], amz_date: str) -> str:
    """Recompute a presigned GET's SigV4 signature with botocore.

    botocore is an implementation independent of the signer under test. The
    canonical query is rebuilt from the *decoded* parameters (botocore
    re-encodes them canonically), so a signer that encodes differently from
    the SigV4 rules fails here as it would at STS.
    """
    from botocore.auth import SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    auth = SigV4QueryAuth(Credentials(cred.access_key_id, cred.secret_access_key, cred.session_token), "sts", region)
    request = AWSRequest(method="GET", url=f"https://{host}/", headers=headers, params=params)
    request.context["timestamp"] = amz_date
    canonical = auth.canonical_request(request)
    return auth.signature(auth.string_to_sign(request, canonical), request)


def canonicalize_arn(arn: str) -> str:
    """aws-iam-authenticator's arn.Canonicalize (assumed role -> IAM role)."""
    m = re.fullmatch(r"arn:(aws|aws-cn|aws-us-gov):(sts|iam)::(\d{12}):(.+)", arn)
    if not m:
        raise _sts_error(f"arn {arn!r} is invalid")
    partition, service, account, resource = m.groups()
    parts = resource.split("/")
    if service == "sts" and parts[0] == "assumed-role" and len(parts) >= 3:
        return f"arn:{partition}:iam::{account}:role/{'/'.join(parts[1:-1])}"
    if service == "sts" and parts[0] == "federated-user":
        return arn
    if service == "iam" and parts[0] in ("role", "user", "root"):
        return arn
    raise _sts_error(f"unrecognized resource {resource!r} for service {service}")


def identity_from_credential(cred: Credential) -> Identity:
    canonical = canonicalize_arn(cred.arn)
    user_id, session = cred.user_id, ""
    if ":assumed-role/" in cred.arn:
        # "AROA...:session" — split as aws-iam-authenticator does.
        pieces = cred.user_id.split(":")
        if len(pieces) != 2:
            raise _sts_error(f"malformed UserID {cred.user_id!r}")
        user_id, session = pieces
    return Identity(cred.arn, canonical, cred.account_id, user_id, session, cred.access_key_id)
