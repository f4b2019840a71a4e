#!/usr/bin/env python3
"""Fake AWS STS + EKS authentication/authorization webhooks for local tests.

One process plays three parts so that a plain kube-apiserver behaves like an
EKS control plane:

* AWS STS/IAM, served by moto *in this process* (IAM authorization enforced),
  so that clients can AssumeRole and sign tokens with real temporary keys;
* the EKS token authenticator (a TokenReview webhook) applying
  aws-iam-authenticator's rules to `k8s-aws-v1.` tokens, verifying the SigV4
  signature itself with botocore against the keys held in moto's memory —
  the part real EKS delegates to STS GetCallerIdentity;
* the EKS access-policy authorizer (a SubjectAccessReview webhook) granting
  what AmazonEKS*Policy access policies grant, and otherwise NoOpinion.

Usage:
    python3 eks_webhook.py --config CONFIG.json --state-dir DIR
                           [--verbose] [--exit-on-stdin-eof]

When ready it writes DIR/ready.json (atomically). See CONFIG_HELP below for
the configuration schema. Tokens, signatures, session tokens and secret keys
are never logged.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import datetime as dt
import hmac
import json
import logging
import os
import re
import signal
import socket
import ssl
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

LOG = logging.getLogger("eks-webhook")

DEFAULT_ACCOUNT_ID = "123456789012"  # moto's default account
PARTITION = "aws"

CONFIG_HELP = """\
config (JSON):
  clusterName   string   required; the x-k8s-aws-id a token must be signed for
  region        string   required; e.g. us-west-2 (aws partition only)
  accountId     string   optional; 12 digits, default 123456789012
  tls           object   required; {"cert": PEM path, "key": PEM path}
  motoPort      int      optional; 0/absent = a free port
  webhookPort   int      optional; 0/absent = a free port
  hostUser      string   required; IAM user name of the agent host
  roles         list     [{"name": str, "trustsHostUser": bool}]
  accessEntries list     [{"principalArn": str, "username"?: template,
                           "groups"?: [str], "accessPolicies"?: [{"policy":
                           name, "scope": {"type": "cluster"} | {"type":
                           "namespace", "namespaces": [str]}}]}]
  awsAuth       object   {"mapRoles": [{"rolearn", "username", "groups"?}],
                          "mapUsers": [{"userarn", "username", "groups"?}]}
"""

# --------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------


class ConfigError(Exception):
    """A configuration problem; the message names the offending field."""


@dataclass(frozen=True)
class PolicyAssociation:
    policy: str
    namespaces: tuple[str, ...] | None  # None = cluster scope


@dataclass(frozen=True)
class Mapping:
    """One identity mapping: an access entry or an aws-auth entry."""

    principal_arn: str
    username: str  # template
    groups: tuple[str, ...]
    policies: tuple[PolicyAssociation, ...] = ()
    source: str = ""  # e.g. "accessEntries[0]", for logs


@dataclass(frozen=True)
class Config:
    cluster_name: str
    region: str
    account_id: str
    tls_cert: str
    tls_key: str
    moto_port: int
    webhook_port: int
    host_user: str
    roles: tuple[tuple[str, bool], ...]
    access_entries: tuple[Mapping, ...]
    map_roles: tuple[Mapping, ...]
    map_users: tuple[Mapping, ...]
    # The cluster as EKS DescribeCluster reports it: (endpoint, PEM CA file), or None.
    eks_cluster: tuple[str, str] | None = None


TEMPLATE_VARS = ("AccountID", "SessionName", "SessionNameRaw", "AccessKeyID", "RoleName")
SESSION_VARS = ("{{SessionName}}", "{{SessionNameRaw}}", "{{RoleName}}")
# EKS refuses access-entry usernames with these prefixes (set-custom-username docs).
RESERVED_USERNAME_PREFIXES = ("system:", "eks:", "aws:", "amazon:", "iam:")
IAM_NAME_RE = re.compile(r"^[\w+=,.@-]{1,64}$")
REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
PRINCIPAL_RE = re.compile(r"^arn:aws:iam::(\d{12}):(role|user)/(?:[\w+=,.@-]+/)*([\w+=,.@-]{1,64})$")


def _need(obj: dict, key: str, where: str, kind: type, required: bool = True) -> Any:
    if key not in obj:
        if required:
            raise ConfigError(f"{where}{key}: required field is missing")
        return None
    value = obj[key]
    # bool is an int in Python; keep the two apart so `"motoPort": true` fails.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{where}{key}: must be a {kind.__name__}")
    return value


def _no_unknown_keys(obj: dict, allowed: set[str], where: str) -> None:
    for key in obj:
        if key not in allowed:
            raise ConfigError(f"{where}{key}: unknown field")


def _str_list(obj: dict, key: str, where: str) -> tuple[str, ...]:
    values = _need(obj, key, where, list, required=False) or []
    for i, v in enumerate(values):
        if not isinstance(v, str) or not v:
            raise ConfigError(f"{where}{key}[{i}]: must be a non-empty string")
    return tuple(values)


def _port(obj: dict, key: str) -> int:
    value = _need(obj, key, "", int, required=False) or 0
    if not 0 <= value <= 65535:
        raise ConfigError(f"{key}: must be 0..65535")
    return value


def _check_template(template: str, where: str, is_role: bool) -> None:
    for name in re.findall(r"\{\{([^}]*)\}\}", template):
        if name not in TEMPLATE_VARS:
            raise ConfigError(f"{where}: unsupported template variable {{{{{name}}}}}")
    if not is_role and any(v in template for v in SESSION_VARS):
        raise ConfigError(f"{where}: session/role variables only apply to IAM roles")


def _parse_principal(arn: str, where: str, account_id: str) -> bool:
    """Validate an IAM role/user ARN; return True for a role."""
    m = PRINCIPAL_RE.match(arn)
    if not m:
        raise ConfigError(f"{where}: must be an IAM role or user ARN (arn:aws:iam::ACCOUNT:role/NAME)")
    if m.group(1) != account_id:
        raise ConfigError(f"{where}: account {m.group(1)} is not the configured account {account_id}")
    return m.group(2) == "role"


def _parse_scope(scope: Any, where: str) -> tuple[str, ...] | None:
    if not isinstance(scope, dict):
        raise ConfigError(f"{where}: must be an object")
    _no_unknown_keys(scope, {"type", "namespaces"}, f"{where}.")
    kind = _need(scope, "type", f"{where}.", str)
    if kind == "cluster":
        if "namespaces" in scope:
            raise ConfigError(f"{where}.namespaces: not allowed for a cluster scope")
        return None
    if kind == "namespace":
        namespaces = _str_list(scope, "namespaces", f"{where}.")
        if not namespaces:
            raise ConfigError(f"{where}.namespaces: a namespace scope needs at least one namespace")
        return namespaces
    raise ConfigError(f"{where}.type: must be 'cluster' or 'namespace'")


def _parse_policies(entry: dict, where: str) -> tuple[PolicyAssociation, ...]:
    out = []
    for i, assoc in enumerate(_need(entry, "accessPolicies", where, list, required=False) or []):
        w = f"{where}accessPolicies[{i}]"
        if not isinstance(assoc, dict):
            raise ConfigError(f"{w}: must be an object")
        _no_unknown_keys(assoc, {"policy", "scope"}, f"{w}.")
        name = _need(assoc, "policy", f"{w}.", str)
        if name not in ACCESS_POLICIES:
            known = ", ".join(sorted(ACCESS_POLICIES))
            raise ConfigError(f"{w}.policy: unknown access policy {name!r} (known: {known})")
        out.append(PolicyAssociation(name, _parse_scope(assoc.get("scope"), f"{w}.scope")))
    return tuple(out)


def _parse_access_entry(entry: Any, i: int, account_id: str) -> Mapping:
    where = f"accessEntries[{i}]."
    if not isinstance(entry, dict):
        raise ConfigError(f"accessEntries[{i}]: must be an object")
    _no_unknown_keys(entry, {"principalArn", "username", "groups", "accessPolicies"}, where)
    arn = _need(entry, "principalArn", where, str)
    is_role = _parse_principal(arn, f"{where}principalArn", account_id)
    username = _need(entry, "username", where, str, required=False)
    if username is None:
        # EKS's generated default: the assumed-role ARN (path dropped) or the user ARN.
        username = DEFAULT_ROLE_USERNAME if is_role else arn
    elif not username:
        raise ConfigError(f"{where}username: must not be empty")
    else:
        _check_access_entry_username(username, f"{where}username")
    _check_template(username, f"{where}username", is_role)
    groups = _str_list(entry, "groups", where)
    return Mapping(arn, username, groups, _parse_policies(entry, where), f"accessEntries[{i}]")


DEFAULT_ROLE_USERNAME = "arn:aws:sts::{{AccountID}}:assumed-role/{{RoleName}}/{{SessionName}}"


def _check_access_entry_username(username: str, where: str) -> None:
    if username.startswith(RESERVED_USERNAME_PREFIXES):
        raise ConfigError(f"{where}: may not start with {', '.join(RESERVED_USERNAME_PREFIXES)}")
    for var in ("{{SessionName}}", "{{SessionNameRaw}}"):
        pos = username.find(var)
        if pos >= 0 and ":" not in username[:pos]:
            raise ConfigError(f"{where}: EKS requires a ':' before {var}")


def _parse_aws_auth_list(aws_auth: dict, key: str, arn_key: str, account_id: str) -> tuple[Mapping, ...]:
    out = []
    for i, item in enumerate(_need(aws_auth, key, "awsAuth.", list, required=False) or []):
        where = f"awsAuth.{key}[{i}]."
        if not isinstance(item, dict):
            raise ConfigError(f"awsAuth.{key}[{i}]: must be an object")
        _no_unknown_keys(item, {arn_key, "username", "groups"}, where)
        arn = _need(item, arn_key, where, str)
        is_role = _parse_principal(arn, f"{where}{arn_key}", account_id)
        if is_role != (key == "mapRoles"):
            raise ConfigError(f"{where}{arn_key}: must be an IAM {'role' if key == 'mapRoles' else 'user'} ARN")
        username = _need(item, "username", where, str)
        if not username:
            raise ConfigError(f"{where}username: must not be empty")
        _check_template(username, f"{where}username", is_role)
        out.append(Mapping(arn, username, _str_list(item, "groups", where), (), f"awsAuth.{key}[{i}]"))
    return tuple(out)


def _parse_roles(raw: dict) -> tuple[tuple[str, bool], ...]:
    roles, seen = [], set()
    for i, role in enumerate(_need(raw, "roles", "", list, required=False) or []):
        where = f"roles[{i}]."
        if not isinstance(role, dict):
            raise ConfigError(f"roles[{i}]: must be an object")
        _no_unknown_keys(role, {"name", "trustsHostUser"}, where)
        name = _need(role, "name", where, str)
        if not IAM_NAME_RE.match(name):
            raise ConfigError(f"{where}name: not a valid IAM role name")
        if name in seen:
            raise ConfigError(f"{where}name: duplicate role {name!r}")
        seen.add(name)
        roles.append((name, _need(role, "trustsHostUser", where, bool)))
    return tuple(roles)


def parse_config(raw: Any) -> Config:
    if not isinstance(raw, dict):
        raise ConfigError("(top level): must be a JSON object")
    _no_unknown_keys(raw, {"clusterName", "region", "accountId", "tls", "motoPort", "webhookPort",
                           "hostUser", "roles", "accessEntries", "awsAuth", "eksCluster"}, "")
    cluster = _need(raw, "clusterName", "", str)
    if not cluster:
        raise ConfigError("clusterName: must not be empty")
    region = _need(raw, "region", "", str)
    if not REGION_RE.match(region) or region.startswith(("cn-", "us-gov-")):
        raise ConfigError("region: must be an aws-partition region such as us-west-2")
    account = _need(raw, "accountId", "", str, required=False) or DEFAULT_ACCOUNT_ID
    if not re.fullmatch(r"\d{12}", account):
        raise ConfigError("accountId: must be 12 digits")
    tls = _need(raw, "tls", "", dict)
    _no_unknown_keys(tls, {"cert", "key"}, "tls.")
    cert, key = _need(tls, "cert", "tls.", str), _need(tls, "key", "tls.", str)
    for name, path in (("cert", cert), ("key", key)):
        if not os.path.isfile(path):
            raise ConfigError(f"tls.{name}: file not found: {path}")
    host_user = _need(raw, "hostUser", "", str)
    if not IAM_NAME_RE.match(host_user):
        raise ConfigError("hostUser: not a valid IAM user name")
    entries_raw = _need(raw, "accessEntries", "", list, required=False) or []
    entries = tuple(_parse_access_entry(e, i, account) for i, e in enumerate(entries_raw))
    _no_duplicate_principals(entries, "accessEntries")
    aws_auth = _need(raw, "awsAuth", "", dict, required=False) or {}
    _no_unknown_keys(aws_auth, {"mapRoles", "mapUsers"}, "awsAuth.")
    return Config(
        eks_cluster=_parse_eks_cluster(raw),
        cluster_name=cluster, region=region, account_id=account, tls_cert=cert, tls_key=key,
        moto_port=_port(raw, "motoPort"), webhook_port=_port(raw, "webhookPort"),
        host_user=host_user, roles=_parse_roles(raw), access_entries=entries,
        map_roles=_parse_aws_auth_list(aws_auth, "mapRoles", "rolearn", account),
        map_users=_parse_aws_auth_list(aws_auth, "mapUsers", "userarn", account),
    )


def _parse_eks_cluster(raw: dict) -> tuple[str, str] | None:
    eks = _need(raw, "eksCluster", "", dict, required=False)
    if eks is None:
        return None
    _no_unknown_keys(eks, {"endpoint", "caFile"}, "eksCluster.")
    endpoint, ca_file = _need(eks, "endpoint", "eksCluster.", str), _need(eks, "caFile", "eksCluster.", str)
    if not endpoint.startswith("https://"):
        raise ConfigError("eksCluster.endpoint: must be an https:// URL")
    if not os.path.isfile(ca_file):
        raise ConfigError(f"eksCluster.caFile: file not found: {ca_file}")
    return endpoint, ca_file


def _no_duplicate_principals(entries: tuple[Mapping, ...], where: str) -> None:
    # EKS allows one access entry per principal; a second would make the
    # authorizer's choice ambiguous.
    seen: set[str] = set()
    for m in entries:
        if m.principal_arn.lower() in seen:
            raise ConfigError(f"{m.source}.principalArn: duplicate principal in {where}")
        seen.add(m.principal_arn.lower())


def load_config(path: str) -> Config:
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except OSError as e:
        raise ConfigError(f"(file): cannot read {path}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise ConfigError(f"(file): invalid JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
    return parse_config(raw)


# --------------------------------------------------------------------------
# moto: in-process STS/IAM with IAM authorization enforced
# --------------------------------------------------------------------------


def import_moto() -> None:
    """Import moto with every HTTP request authenticated and authorized.

    moto lets the first INITIAL_NO_AUTH_ACTION_COUNT requests through
    unchecked. We seed IAM through the backend objects (no HTTP), so the
    count can be 0: every request any client makes is checked against IAM.
    The env var must be set before moto.settings is first imported.
    """
    os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "0"
    from moto import settings

    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    _sign_bodyless_requests_as_sent()


def _sign_bodyless_requests_as_sent() -> None:
    """moto 5.2 verifies the signature of a body-less REST request (EKS DescribeCluster is GET
    /clusters/NAME) over its parsed parameters instead of the empty body that was signed, so every
    such request fails with SignatureDoesNotMatch, botocore's own included. Verify what was sent."""
    from botocore.awsrequest import AWSRequest
    from moto.iam.access_control import IAMRequestBase

    original = IAMRequestBase._create_aws_request

    def create_aws_request(self: Any) -> AWSRequest:
        request = original(self)
        if self._method in ("GET", "HEAD", "DELETE") and not self._body:
            request.data = b""
        return request

    IAMRequestBase._create_aws_request = create_aws_request


def _iam(account_id: str):
    from moto.iam.models import iam_backends

    return iam_backends[account_id][PARTITION]


def _sts(account_id: str):
    from moto.sts.models import sts_backends

    return sts_backends[account_id][PARTITION]


@dataclass(frozen=True)
class SeededIam:
    user_arn: str
    access_key_id: str
    secret_access_key: str
    role_arns: dict[str, str]


def trust_policy(cfg: Config, trusts_host_user: bool) -> str:
    # A list, never a bare string: moto tests `principal in value`, which on a
    # string is a substring test. Untrusted roles trust another account's
    # root — as in real IAM that grants nothing to our host user (trusting our
    # own account's root would let the host user in on real AWS).
    principal = (f"arn:aws:iam::{cfg.account_id}:user/{cfg.host_user}" if trusts_host_user
                 else "arn:aws:iam::999999999999:root")
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": [principal]}, "Action": "sts:AssumeRole"}],
    })


def seed_iam(cfg: Config) -> SeededIam:
    iam = _iam(cfg.account_id)
    user = iam.create_user("us-east-1", cfg.host_user, "/")
    iam.put_user_policy(cfg.host_user, "assume-any-role", json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
    }))
    key = iam.create_access_key(cfg.host_user)
    role_arns = {}
    for name, trusted in cfg.roles:
        role = iam.create_role(name, trust_policy(cfg, trusted), "/", None, f"eks-webhook test role {name}", [], None)
        role_arns[name] = role.arn
    if cfg.eks_cluster:
        seed_eks_cluster(cfg, iam, role_arns)
    return SeededIam(user.arn, key.access_key_id, key.secret_access_key, role_arns)


def seed_eks_cluster(cfg: Config, iam: Any, role_arns: dict[str, str]) -> None:
    """The local cluster in moto's EKS, so that DescribeCluster answers with its real endpoint and CA; the
    trusted roles may call it (IAM is enforced), as an agent role's permission policy allows on EKS."""
    from moto.eks.models import eks_backends

    endpoint, ca_file = cfg.eks_cluster
    cluster = eks_backends[cfg.account_id][cfg.region].create_cluster(
        name=cfg.cluster_name, role_arn=f"arn:aws:iam::{cfg.account_id}:role/eks-cluster", resources_vpc_config={})
    cluster.endpoint = endpoint
    with open(ca_file, "rb") as f:
        cluster.certificate_authority = {"data": base64.b64encode(f.read()).decode()}
    for name, trusted in cfg.roles:
        if trusted:
            iam.put_role_policy(name, "describe-cluster", json.dumps({
                "Version": "2012-10-17",
                # moto authorizes actions without their resource ARN: only "*" matches.
                "Statement": [{"Effect": "Allow", "Action": "eks:DescribeCluster", "Resource": "*"}],
            }))


def start_moto(port: int):
    from moto.server import ThreadedMotoServer

    if port:
        # ThreadedMotoServer binds in its thread and would wait forever if the
        # bind failed; find out here, with a clear error, instead.
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug binds
            probe.bind(("127.0.0.1", port))
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server


@dataclass(frozen=True)
class Credential:
    """What STS knows about an access key: its secret and whose it is."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None
    expiration: dt.datetime | None  # naive UTC
    arn: str  # as GetCallerIdentity returns it
    user_id: str  # as GetCallerIdentity returns it ("AROA...:session" for roles)
    account_id: str


class StsError(Exception):
    """A refusal real STS would produce for the presigned request."""


def lookup_credential(account_id: str, access_key_id: str) -> Credential:
    """Find an access key in moto's memory, as STS would when verifying."""
    for assumed in list(_sts(account_id).assumed_roles):
        if assumed.access_key_id == access_key_id:
            return _assumed_role_credential(account_id, assumed)
    for user in list(_iam(account_id).users.values()):
        for key in list(user.access_keys):
            if key.access_key_id == access_key_id:
                if key.status != "Active":
                    raise StsError("InvalidClientTokenId: the access key is inactive")
                return Credential(access_key_id, key.secret_access_key, None, None, user.arn, user.id, account_id)
    raise StsError(f"InvalidClientTokenId: unknown access key {_mask(access_key_id)}")


def _assumed_role_credential(account_id: str, assumed) -> Credential:
    from moto.iam.exceptions import NotFoundException

    try:
        role = _iam(account_id).get_role_by_arn(assumed.role_arn)
    except NotFoundException:
        # moto issues keys even for roles that do not exist; real STS never does.
        raise StsError(f"InvalidClientTokenId: role {assumed.role_arn} does not exist") from None
    return Credential(assumed.access_key_id, assumed.secret_access_key, assumed.session_token,
                      assumed.expiration, assumed.arn, f"{role.id}:{assumed.session_name}", account_id)


def _mask(value: str) -> str:
    """Enough of an access key id to recognise it in logs, not to use it."""
    return f"{value[:4]}…{value[-4:]}" if len(value) > 8 else "…"


# --------------------------------------------------------------------------
# Token verification (aws-iam-authenticator rules, then what STS would check)
# --------------------------------------------------------------------------

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


def _format_error(message: str) -> TokenRejected:
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
        raise _format_error("token is too large")
    if not token.startswith(V1_PREFIX):
        raise _format_error(f"token is missing expected {V1_PREFIX!r} prefix")
    body = token[len(V1_PREFIX):]
    # Go's base64.RawURLEncoding: URL alphabet, no '=' padding. (Go also skips
    # CR/LF inside the data; a bearer token cannot carry them, so we refuse.)
    bad = re.search(r"[^A-Za-z0-9_-]", body)
    if bad:
        raise _format_error(f"illegal base64 data at input byte {bad.start()}")
    if len(body) % 4 == 1:
        raise _format_error(f"illegal base64 data at input byte {len(body) - 1}")
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        url = raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as e:
        raise _format_error(f"token is not a base64url-encoded UTF-8 URL: {type(e).__name__}") from None
    if re.search(r"[\x00-\x1f\x7f]", url):
        raise _format_error("invalid control character in URL")
    if url != url.strip():
        # Go's url.Parse fails on these; Python's urlsplit would strip them.
        raise _format_error("unexpected whitespace around the pre-signed URL")
    return url


def parse_presigned_url(url: str, valid_hosts: frozenset[str]) -> PresignedUrl:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https":
        raise _format_error(f"unexpected scheme {parts.scheme!r} in pre-signed URL")
    if "@" in parts.netloc:
        # Go would drop userinfo from Host; refusing is simpler and never wrong here.
        raise _format_error("unexpected userinfo in pre-signed URL")
    if parts.netloc not in valid_hosts:
        raise _format_error(f"unexpected hostname {_sanitize(parts.netloc)} in pre-signed URL")
    if parts.path != "/":
        raise _format_error("unexpected path in pre-signed URL")
    params = parse_query(parts.query)
    lower = check_query_params(params)
    return PresignedUrl(parts.netloc, params, lower)


def parse_query(raw_query: str) -> list[tuple[str, str]]:
    """Go's url.ParseQuery: '&'-separated, ';' refused, '+' is a space."""
    params = []
    for segment in raw_query.split("&"):
        if ";" in segment:
            raise _format_error("malformed query parameter")
        if not segment:
            continue
        key, _, value = segment.partition("=")
        params.append((_query_unescape(key), _query_unescape(value)))
    return params


def _query_unescape(text: str) -> str:
    if re.search(r"%(?![0-9A-Fa-f]{2})", text):
        raise _format_error("malformed query parameter")
    try:
        return urllib.parse.unquote_plus(text, errors="strict")
    except UnicodeDecodeError:
        raise _format_error("malformed query parameter") from None


def check_query_params(params: list[tuple[str, str]]) -> dict[str, str]:
    keys = list(dict.fromkeys(k for k, _ in params))  # distinct, in order
    seen_lower: set[str] = set()
    for key in keys:
        if key.lower() in seen_lower:
            raise _format_error(f"duplicate query parameter found: {_sanitize(key)}")
        seen_lower.add(key.lower())
    lower = {}
    for key in keys:
        if key.lower() not in ALLOWED_PARAMS:
            raise _format_error(f"non-whitelisted query parameter {_sanitize(key)}")
        values = [v for k, v in params if k == key]
        if len(values) != 1:
            raise _format_error("query parameter with multiple values not supported")
        lower[key.lower()] = values[0]
    return lower


def check_authenticator_rules(q: dict[str, str], now: dt.datetime) -> dt.datetime:
    """The checks aws-iam-authenticator makes before calling STS; returns X-Amz-Date."""
    if q.get("action", "") != "GetCallerIdentity":
        raise _format_error("unexpected action parameter in pre-signed URL")
    signed = q.get("x-amz-signedheaders", "").split(";")
    if CLUSTER_ID_HEADER not in (h.lower() for h in signed):
        raise _format_error(f"client did not sign the {CLUSTER_ID_HEADER} header in the pre-signed URL")
    expires = q.get("x-amz-expires", "")
    # strconv.Atoi: optional sign, ASCII digits, nothing else.
    if not re.fullmatch(r"[+-]?[0-9]+", expires) or not 0 <= int(expires) <= 900:
        raise _format_error(f"invalid X-Amz-Expires parameter in pre-signed URL: {_sanitize(expires, 16)}")
    date = q.get("x-amz-date", "")
    if not date:
        raise _format_error("X-Amz-Date parameter must be present in pre-signed URL")
    signed_at = parse_amz_date(date)
    if now > signed_at + PRESIGNED_URL_LIFETIME:
        raise _format_error("X-Amz-Date parameter is expired (15 minute expiration) "
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
        raise _format_error(f"error parsing X-Amz-Date parameter {_sanitize(date, 32)} "
                            "into format 20060102T150405Z") from None


@dataclass(frozen=True)
class Verifier:
    """Verifies tokens for one cluster, with STS's view held by moto."""

    cluster_name: str
    region: str
    account_id: str
    clock: Callable[[], dt.datetime] = utcnow

    @property
    def valid_hosts(self) -> frozenset[str]:
        return frozenset({f"sts.{self.region}.amazonaws.com", "sts.amazonaws.com"})

    def signing_region(self, host: str) -> str:
        # The global endpoint signs for us-east-1, a regional one for its region.
        return "us-east-1" if host == "sts.amazonaws.com" else self.region

    def verify(self, token: str) -> Identity:
        now = self.clock()
        url = parse_presigned_url(decode_token(token), self.valid_hosts)
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
        if parts[2] != self.signing_region(host):
            raise _sts_error(f"SignatureDoesNotMatch: credential should be scoped to region "
                             f"{self.signing_region(host)!r}, not {_sanitize(parts[2], 32)}")
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


# --------------------------------------------------------------------------
# Identity mapping (EKS access entries, then aws-auth)
# --------------------------------------------------------------------------


class NotMapped(Exception):
    pass


def render_template(template: str, ident: Identity) -> str:
    """aws-iam-authenticator's renderTemplate, plus EKS's {{RoleName}}."""
    role = ident.canonical_arn.split(":role/", 1)[1].rsplit("/", 1)[-1] if ":role/" in ident.canonical_arn else ""
    out = template.replace("{{AccountID}}", ident.account_id)
    out = out.replace("{{SessionName}}", ident.session_name.replace("@", "-"))
    out = out.replace("{{SessionNameRaw}}", ident.session_name)
    out = out.replace("{{AccessKeyID}}", ident.access_key_id)
    return out.replace("{{RoleName}}", role)


def find_mapping(cfg: Config, canonical_arn: str) -> Mapping:
    # ARNs are matched lowercased, as aws-iam-authenticator does. Access
    # entries win over aws-auth (EKS API_AND_CONFIG_MAP mode).
    wanted = canonical_arn.lower()
    for mapping in (*cfg.access_entries, *cfg.map_roles, *cfg.map_users):
        if mapping.principal_arn.lower() == wanted:
            return mapping
    raise NotMapped(f"ARN not mapped: {canonical_arn}")


def user_info(cfg: Config, ident: Identity) -> dict[str, Any]:
    mapping = find_mapping(cfg, ident.canonical_arn)
    return {
        "username": render_template(mapping.username, ident),
        "uid": f"aws-iam-authenticator:{ident.account_id}:{ident.user_id}",
        "groups": [render_template(g, ident) for g in mapping.groups],
        "extra": {
            "arn": [ident.arn],
            "canonicalArn": [ident.canonical_arn],
            "sessionName": [ident.session_name],
            "accessKeyId": [ident.access_key_id],
            "principalId": [ident.user_id],
        },
    }


# --------------------------------------------------------------------------
# EKS access policies (rule tables from the EKS user guide's
# "Review access policy permissions" page)
# --------------------------------------------------------------------------

READ = ("get", "list", "watch")
WRITE = ("create", "delete", "deletecollection", "patch", "update")
Rule = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]  # apiGroups, resources, verbs

VIEW_RULES: tuple[Rule, ...] = (
    (("apps",), ("controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale",
                 "deployments/status", "replicasets", "replicasets/scale", "replicasets/status", "statefulsets",
                 "statefulsets/scale", "statefulsets/status"), READ),
    (("autoscaling",), ("horizontalpodautoscalers", "horizontalpodautoscalers/status"), READ),
    (("batch",), ("cronjobs", "cronjobs/status", "jobs", "jobs/status"), READ),
    (("discovery.k8s.io",), ("endpointslices",), READ),
    (("extensions",), ("daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status",
                       "ingresses", "ingresses/status", "networkpolicies", "replicasets", "replicasets/scale",
                       "replicasets/status", "replicationcontrollers/scale"), READ),
    (("networking.k8s.io",), ("ingresses", "ingresses/status", "networkpolicies"), READ),
    (("policy",), ("poddisruptionbudgets", "poddisruptionbudgets/status"), READ),
    (("",), ("configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods",
             "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services",
             "services/status"), READ),
    (("",), ("bindings", "events", "limitranges", "namespaces/status", "pods/log", "pods/status",
             "replicationcontrollers/status", "resourcequotas", "resourcequotas/status"), READ),
    (("",), ("namespaces",), READ),
)

EDIT_RULES: tuple[Rule, ...] = VIEW_RULES + (
    (("apps",), ("daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets",
                 "replicasets/scale", "statefulsets", "statefulsets/scale"), WRITE),
    (("autoscaling",), ("horizontalpodautoscalers",), WRITE),
    (("batch",), ("cronjobs", "jobs"), WRITE),
    (("extensions",), ("daemonsets", "deployments", "deployments/rollback", "deployments/scale", "ingresses",
                       "networkpolicies", "replicasets", "replicasets/scale", "replicationcontrollers/scale"), WRITE),
    (("networking.k8s.io",), ("ingresses", "networkpolicies"), WRITE),
    (("policy",), ("poddisruptionbudgets",), WRITE),
    (("",), ("pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"), READ),
    (("",), ("serviceaccounts",), ("impersonate",)),
    (("",), ("pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"), WRITE),
    (("",), ("configmaps", "events", "persistentvolumeclaims", "replicationcontrollers",
             "replicationcontrollers/scale", "secrets", "serviceaccounts", "services", "services/proxy"), WRITE),
)

ADMIN_RULES: tuple[Rule, ...] = EDIT_RULES + (
    (("authorization.k8s.io",), ("localsubjectaccessreviews",), ("create",)),
    (("rbac.authorization.k8s.io",), ("rolebindings", "roles"), READ + WRITE),
)

ACCESS_POLICIES: dict[str, tuple[Rule, ...]] = {
    "AmazonEKSViewPolicy": VIEW_RULES,
    "AmazonEKSEditPolicy": EDIT_RULES,
    "AmazonEKSAdminPolicy": ADMIN_RULES,
    "AmazonEKSClusterAdminPolicy": ((("*",), ("*",), ("*",)),),
    "AmazonEKSAdminViewPolicy": ((("*",), ("*",), READ),),
    "AmazonEKSSecretReaderPolicy": ((("",), ("secrets",), READ),),
}
# Only ClusterAdmin carries nonResourceURLs ("*" / "*").
NON_RESOURCE_POLICIES = frozenset({"AmazonEKSClusterAdminPolicy"})


def _rule_matches(rule: Rule, group: str, resource: str, verb: str) -> bool:
    groups, resources, verbs = rule
    return (("*" in groups or group in groups) and ("*" in resources or resource in resources)
            and ("*" in verbs or verb in verbs))


def _namespace_in_scope(namespace: str, scope: tuple[str, ...]) -> bool:
    # EKS namespace scopes accept a trailing '*' wildcard ("dev-*").
    return bool(namespace) and any(
        namespace.startswith(ns[:-1]) if ns.endswith("*") else namespace == ns for ns in scope)


def policy_grants(assoc: PolicyAssociation, attrs: dict[str, Any]) -> bool:
    namespace = attrs.get("namespace") or ""
    if assoc.namespaces is not None and not _namespace_in_scope(namespace, assoc.namespaces):
        return False
    resource = attrs.get("resource") or ""
    if attrs.get("subresource"):
        resource = f"{resource}/{attrs['subresource']}"
    group, verb = attrs.get("group") or "", attrs.get("verb") or ""
    return any(_rule_matches(r, group, resource, verb) for r in ACCESS_POLICIES[assoc.policy])


def _extra_value(extra: dict[str, Any], key: str) -> str:
    values = extra.get(key) or []
    return values[0] if isinstance(values, list) and values and isinstance(values[0], str) else ""


def entry_for_sar(cfg: Config, spec: dict[str, Any]) -> Mapping | None:
    """The access entry behind a SAR's user, re-derived from the extras we set.

    The entry must match the canonical ARN *and* its username template must
    render to the SAR's username, so a user named alike by other means (a
    certificate, say) gets nothing from here. Extras are read with their exact
    camelCase keys: impersonated extras reach us lowercased (the apiserver
    lowercases Impersonate-Extra-* names), so, as on EKS, impersonation never
    carries access-policy permissions.
    """
    extra = spec.get("extra") or {}
    canonical = _extra_value(extra, "canonicalArn")
    if not canonical:
        return None
    for entry in cfg.access_entries:
        if entry.principal_arn.lower() != canonical.lower():
            continue
        ident = Identity(_extra_value(extra, "arn"), canonical, canonical.split(":")[4],
                         _extra_value(extra, "principalId"), _extra_value(extra, "sessionName"),
                         _extra_value(extra, "accessKeyId"))
        return entry if render_template(entry.username, ident) == spec.get("user") else None
    return None


def authorize(cfg: Config, spec: dict[str, Any]) -> tuple[bool, str]:
    entry = entry_for_sar(cfg, spec)
    if entry is None:
        return False, "no EKS access entry for this user"
    resource_attrs = spec.get("resourceAttributes")
    for assoc in entry.policies:
        if resource_attrs is not None:
            granted = policy_grants(assoc, resource_attrs)
        else:
            granted = assoc.policy in NON_RESOURCE_POLICIES and assoc.namespaces is None
        if granted:
            scope = "cluster" if assoc.namespaces is None else "namespaces " + ",".join(assoc.namespaces)
            return True, f"EKS access policy {assoc.policy} ({scope}) of {entry.source}"
    return False, "no EKS access policy grants this"


# --------------------------------------------------------------------------
# Webhook HTTP handlers
# --------------------------------------------------------------------------

MAX_BODY = 1 << 20


@dataclass
class App:
    cfg: Config
    verifier: Verifier

    def token_review(self, review: dict[str, Any]) -> dict[str, Any]:
        api_version = _echo_version(review, "authentication.k8s.io")
        token = ((review.get("spec") or {}).get("token")) or ""
        try:
            if not isinstance(token, str):
                raise _format_error("token is not a string")
            ident = self.verifier.verify(token)
            user = user_info(self.cfg, ident)
        except (TokenRejected, NotMapped) as e:
            LOG.warning("authenticate: refused: %s", e)
            status: dict[str, Any] = {"authenticated": False, "error": str(e)}
        else:
            LOG.info("authenticate: %s -> username=%r groups=%r", ident.arn, user["username"], user["groups"])
            status = {"authenticated": True, "user": user}
        return {"apiVersion": api_version, "kind": "TokenReview", "status": status}

    def subject_access_review(self, review: dict[str, Any]) -> dict[str, Any]:
        api_version = _echo_version(review, "authorization.k8s.io")
        spec = review.get("spec") or {}
        allowed, reason = authorize(self.cfg, spec)
        LOG.debug("authorize: user=%r %s -> %s (%s)", spec.get("user"), _describe_sar(spec),
                  "allow" if allowed else "no opinion", reason)
        # Never "denied": EKS access policies only add permissions, so a
        # non-grant is NoOpinion and RBAC's answer stands.
        status = {"allowed": allowed, "reason": reason} if allowed else {"allowed": False, "denied": False}
        return {"apiVersion": api_version, "kind": "SubjectAccessReview", "status": status}


def _echo_version(review: dict[str, Any], group: str) -> str:
    # The apiserver expects the response in the version it sent.
    version = review.get("apiVersion")
    return version if version in (f"{group}/v1", f"{group}/v1beta1") else f"{group}/v1"


def _describe_sar(spec: dict[str, Any]) -> str:
    if spec.get("nonResourceAttributes") is not None:
        nr = spec["nonResourceAttributes"]
        return f"{nr.get('verb')} {nr.get('path')}"
    ra = spec.get("resourceAttributes") or {}
    res = ra.get("resource", "") + (f"/{ra['subresource']}" if ra.get("subresource") else "")
    return f"{ra.get('verb')} {ra.get('group') or 'core'}/{res} ns={ra.get('namespace') or '-'}"


class WebhookHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # the apiserver keeps connections alive
    # Headers and body go out in two writes: with Nagle's algorithm the body waits for the apiserver's
    # delayed ACK, 40 ms on every uncached review (a stall no real EKS webhook adds).
    disable_nagle_algorithm = True
    timeout = 30
    app: App  # set on the subclass built by make_webhook_server

    def do_POST(self) -> None:  # noqa: N802 (http.server naming)
        routes = {"/authenticate": self.app.token_review, "/authorize": self.app.subject_access_review}
        handler = routes.get(urllib.parse.urlsplit(self.path).path)
        if handler is None:
            return self._send(404, {"error": "not found"})
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            return self._send(411, {"error": "Content-Length required"})
        if not 0 < length <= MAX_BODY:
            return self._send(413, {"error": "bad body size"})
        try:
            review = json.loads(self.rfile.read(length))
            if not isinstance(review, dict):
                raise ValueError
        except ValueError:
            LOG.warning("%s: refused: request body is not a JSON object", self.path)
            return self._send(400, {"error": "expected a JSON review object"})
        self._send(200, handler(review))

    def do_GET(self) -> None:  # noqa: N802
        if urllib.parse.urlsplit(self.path).path == "/healthz":
            return self._send(200, {"ok": True})
        self._send(404, {"error": "not found"})

    def _send(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt: str, *args: Any) -> None:
        LOG.debug("http %s " + fmt, self.client_address[0], *args)


class TlsServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # TLS handshake failures and dropped connections: one line, no trace.
        LOG.debug("connection from %s failed: %s", client_address[0], sys.exc_info()[1])


def make_webhook_server(app: App, port: int) -> TlsServer:
    handler = type("BoundWebhookHandler", (WebhookHandler,), {"app": app})
    server = TlsServer(("127.0.0.1", port), handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(app.cfg.tls_cert, app.cfg.tls_key)
    # Handshake lazily in the per-connection thread, so one stalled client
    # cannot block accept() for everybody.
    server.socket = ctx.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    return server


# --------------------------------------------------------------------------
# Process lifecycle
# --------------------------------------------------------------------------


def write_ready(state_dir: str, payload: dict[str, Any]) -> str:
    path = os.path.join(state_dir, "ready.json")
    fd, tmp = tempfile.mkstemp(prefix=".ready.", dir=state_dir)
    try:
        # 0600: the file holds the (test-only) host user's secret key.
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(payload, f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path


def watch_stdin(stop: threading.Event) -> None:
    def run() -> None:
        try:
            while sys.stdin.buffer.read1(4096):
                pass
        except (AttributeError, OSError, ValueError):
            pass  # no usable stdin counts as closed
        LOG.info("stdin closed; exiting")
        stop.set()

    threading.Thread(target=run, name="stdin-watch", daemon=True).start()


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=CONFIG_HELP,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", required=True, help="JSON configuration file")
    p.add_argument("--state-dir", required=True, help="directory for ready.json")
    p.add_argument("--verbose", action="store_true", help="log authorization decisions and HTTP requests")
    p.add_argument("--exit-on-stdin-eof", action="store_true", help="exit when standard input closes")
    return p.parse_args(argv)


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG if verbose else logging.INFO,
                        format="eks-webhook %(levelname)s %(message)s")
    # moto's werkzeug server logs every request; keep that for --verbose.
    logging.getLogger("werkzeug").setLevel(logging.INFO if verbose else logging.WARNING)
    for noisy in ("botocore", "moto", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def ready_payload(cfg: Config, seeded: SeededIam, moto_port: int, webhook_port: int) -> dict[str, Any]:
    return {
        "pid": os.getpid(),
        "motoUrl": f"http://127.0.0.1:{moto_port}",
        "webhookUrl": f"https://127.0.0.1:{webhook_port}",
        "accountId": cfg.account_id,
        "region": cfg.region,
        "clusterName": cfg.cluster_name,
        "hostUser": {"name": cfg.host_user, "arn": seeded.user_arn,
                     "accessKeyId": seeded.access_key_id, "secretAccessKey": seeded.secret_access_key},
        "roles": seeded.role_arns,
    }


def stop_all(*stoppers: Callable[[], None]) -> None:
    # Each server's shutdown waits out its poll interval; run them side by side.
    threads = [threading.Thread(target=f) for f in stoppers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=5)


def install_stop_triggers(exit_on_stdin_eof: bool) -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if exit_on_stdin_eof:
        watch_stdin(stop)
    return stop


def main(argv: list[str] | None = None) -> int:
    started = time.monotonic()
    args = parse_args(sys.argv[1:] if argv is None else argv)
    setup_logging(args.verbose)
    try:
        cfg = load_config(args.config)
    except ConfigError as e:
        print(f"eks_webhook: config error: {e}", file=sys.stderr)
        return 2
    os.makedirs(args.state_dir, exist_ok=True)
    ready_path = os.path.join(args.state_dir, "ready.json")
    if os.path.exists(ready_path):
        os.unlink(ready_path)  # a stale file must not look like readiness
    stop = install_stop_triggers(args.exit_on_stdin_eof)

    import_moto()
    seeded = seed_iam(cfg)
    app = App(cfg, Verifier(cfg.cluster_name, cfg.region, cfg.account_id))
    try:
        webhook = make_webhook_server(app, cfg.webhook_port)
    except (OSError, ssl.SSLError) as e:
        LOG.error("cannot start the webhook server (webhookPort %d, tls): %s", cfg.webhook_port, e)
        return 1
    try:
        moto = start_moto(cfg.moto_port)
    except OSError as e:
        LOG.error("cannot start moto (motoPort %d): %s", cfg.moto_port, e)
        return 1
    threading.Thread(target=webhook.serve_forever, name="webhook", daemon=True).start()
    moto_port, webhook_port = moto.get_host_and_port()[1], webhook.server_address[1]
    if not stop.is_set():
        write_ready(args.state_dir, ready_payload(cfg, seeded, moto_port, webhook_port))
        LOG.info("ready in %.2fs: moto http://127.0.0.1:%d, webhook https://127.0.0.1:%d",
                 time.monotonic() - started, moto_port, webhook_port)

    while not stop.wait(0.2):
        pass
    LOG.info("shutting down")
    stop_all(webhook.shutdown, moto.stop)
    if os.path.exists(ready_path):
        os.unlink(ready_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
