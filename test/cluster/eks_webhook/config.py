"""The emulator's configuration (JSON), validated with errors that name the offending field."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any

from .access_policies import ACCESS_POLICIES

DEFAULT_ACCOUNT_ID = "123456789012"  # moto's default account

CONFIG_HELP = """\
config (JSON):
  clusterName   string   required; the x-k8s-aws-id a token must be signed for
  region        string   required; e.g. us-west-2 (aws partition only)
  accountId     string   optional; 12 digits, default 123456789012
  tls           object   required; {"cert": PEM path, "key": PEM path}
  motoPort      int      optional; 0/absent = a free port
  webhookPort   int      optional; 0/absent = a free port
  hostUser      string   required; IAM user name of the agent host
  roles         list     [{"name": str, "trustsHostUser": bool, "sessionNames"?: [str],
                           "policies"?: [policy], "managedPolicies"?: [policy],
                           "permissionsBoundary"?: policy}]; a role that trusts
                         the host user trusts the host roles too; sessionNames pins
                         sts:RoleSessionName in its trust policy; a policy is
                         {"name": str, "document": IAM policy object} (inline, or a
                         customer managed policy attached to the role / set as its
                         permissions boundary); moto authorizes EKS actions on
                         Resource "*" only, so a statement for them names "*"
  hostUserPolicies
                list     [policy]: inline policies of the host user, besides
                         sts:AssumeRole on every role
  hostRoles     list     [{"name": str, "via": "irsa" | "podIdentity",
                           "serviceAccount": "NAMESPACE/NAME"}]: the agent host
                         as an in-cluster pod sees it (needs serviceAccountIssuer)
  serviceAccountIssuer
                object   {"publicKeyFile": PEM path}: the RSA key service-account
                         tokens are signed with; served as the cluster's OIDC issuer
  accessEntries list     [{"principalArn": str, "username"?: template,
                           "groups"?: [str], "accessPolicies"?: [{"policy":
                           name, "scope": {"type": "cluster"} | {"type":
                           "namespace", "namespaces": [str]}}]}]
  awsAuth       object   {"mapRoles": [{"rolearn", "username", "groups"?}],
                          "mapUsers": [{"userarn", "username", "groups"?}]}
"""



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
class HostRole:
    """An IAM role the agent host's pod gets, through IRSA or an EKS Pod Identity association."""

    name: str
    via: str  # "irsa" or "podIdentity"
    namespace: str
    service_account: str


@dataclass(frozen=True)
class Policy:
    name: str
    document: str  # JSON


@dataclass(frozen=True)
class RoleIam:
    """What a role holds besides its trust in the host: its policies, its boundary, a pinned session name."""

    name: str
    session_names: tuple[str, ...] = ()
    policies: tuple[Policy, ...] = ()
    managed_policies: tuple[Policy, ...] = ()
    permissions_boundary: Policy | None = None


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
    host_roles: tuple[HostRole, ...] = ()
    # The public key (PEM file) service-account tokens are signed with, or None: no OIDC issuer.
    service_account_key: str | None = None
    # Per role (by name): its policies, boundary and pinned session names, when it has any.
    role_iam: tuple[RoleIam, ...] = ()
    host_user_policies: tuple[Policy, ...] = ()


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


def _role_entry(role: Any, at: str, fields: set[str], taken: set[str]) -> tuple[str, str]:
    """Checks one roles/hostRoles entry's shape and name (unique among IAM names); returns (where, name)."""
    where = f"{at}."
    if not isinstance(role, dict):
        raise ConfigError(f"{at}: must be an object")
    _no_unknown_keys(role, fields, where)
    name = _need(role, "name", where, str)
    if not IAM_NAME_RE.match(name):
        raise ConfigError(f"{where}name: not a valid IAM role name")
    if name in taken:
        raise ConfigError(f"{where}name: duplicate role {name!r}")
    taken.add(name)
    return where, name


ROLE_FIELDS = {"name", "trustsHostUser", "sessionNames", "policies", "managedPolicies", "permissionsBoundary"}


def _parse_roles(raw: dict) -> tuple[tuple[str, bool], ...]:
    roles, seen = [], set()
    for i, role in enumerate(_need(raw, "roles", "", list, required=False) or []):
        where, name = _role_entry(role, f"roles[{i}]", ROLE_FIELDS, seen)
        roles.append((name, _need(role, "trustsHostUser", where, bool)))
    return tuple(roles)


def _parse_policy(policy: Any, where: str) -> Policy:
    if not isinstance(policy, dict):
        raise ConfigError(f"{where}: must be an object")
    _no_unknown_keys(policy, {"name", "document"}, f"{where}.")
    name = _need(policy, "name", f"{where}.", str)
    if not re.fullmatch(r"[\w+=,.@-]{1,128}", name):
        raise ConfigError(f"{where}.name: not a valid IAM policy name")
    document = _need(policy, "document", f"{where}.", dict)
    if not isinstance(document.get("Statement"), (list, dict)):
        raise ConfigError(f"{where}.document: an IAM policy needs a Statement")
    return Policy(name, json.dumps(document))


def _parse_iam_policies(obj: dict, key: str, where: str) -> tuple[Policy, ...]:
    policies = _need(obj, key, where, list, required=False) or []
    return tuple(_parse_policy(p, f"{where}{key}[{i}]") for i, p in enumerate(policies))


def _parse_role_iam(raw: dict) -> tuple[RoleIam, ...]:
    out = []
    for i, role in enumerate(_need(raw, "roles", "", list, required=False) or []):
        where = f"roles[{i}]."
        boundary = role.get("permissionsBoundary")
        out.append(RoleIam(
            name=role["name"], session_names=_str_list(role, "sessionNames", where),
            policies=_parse_iam_policies(role, "policies", where),
            managed_policies=_parse_iam_policies(role, "managedPolicies", where),
            permissions_boundary=None if boundary is None else _parse_policy(boundary, f"{where}permissionsBoundary")))
    return tuple(out)


def parse_config(raw: Any) -> Config:
    if not isinstance(raw, dict):
        raise ConfigError("(top level): must be a JSON object")
    _no_unknown_keys(raw, {"clusterName", "region", "accountId", "tls", "motoPort", "webhookPort",
                           "hostUser", "roles", "accessEntries", "awsAuth", "eksCluster", "hostRoles",
                           "serviceAccountIssuer", "hostUserPolicies"}, "")
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
    roles = _parse_roles(raw)
    host_roles = _parse_host_roles(raw, {name for name, _ in roles} | {host_user})
    service_account_key = _parse_service_account_issuer(raw)
    if host_roles and service_account_key is None:
        raise ConfigError("hostRoles: needs serviceAccountIssuer (the key their service accounts' tokens are "
                          "signed with)")
    return Config(
        role_iam=_parse_role_iam(raw), host_user_policies=_parse_iam_policies(raw, "hostUserPolicies", ""),
        eks_cluster=_parse_eks_cluster(raw), host_roles=host_roles, service_account_key=service_account_key,
        cluster_name=cluster, region=region, account_id=account, tls_cert=cert, tls_key=key,
        moto_port=_port(raw, "motoPort"), webhook_port=_port(raw, "webhookPort"),
        host_user=host_user, roles=roles, access_entries=entries,
        map_roles=_parse_aws_auth_list(aws_auth, "mapRoles", "rolearn", account),
        map_users=_parse_aws_auth_list(aws_auth, "mapUsers", "userarn", account),
    )


def _parse_host_roles(raw: dict, taken: set[str]) -> tuple[HostRole, ...]:
    out = []
    for i, role in enumerate(_need(raw, "hostRoles", "", list, required=False) or []):
        where, name = _role_entry(role, f"hostRoles[{i}]", {"name", "via", "serviceAccount"}, taken)
        via = _need(role, "via", where, str)
        if via not in ("irsa", "podIdentity"):
            raise ConfigError(f"{where}via: must be 'irsa' or 'podIdentity'")
        namespace, _, account = _need(role, "serviceAccount", where, str).partition("/")
        if not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", namespace) or not re.fullmatch(
                r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", account):
            raise ConfigError(f"{where}serviceAccount: must be NAMESPACE/NAME")
        out.append(HostRole(name, via, namespace, account))
    return tuple(out)


def _parse_service_account_issuer(raw: dict) -> str | None:
    issuer = _need(raw, "serviceAccountIssuer", "", dict, required=False)
    if issuer is None:
        return None
    _no_unknown_keys(issuer, {"publicKeyFile"}, "serviceAccountIssuer.")
    path = _need(issuer, "publicKeyFile", "serviceAccountIssuer.", str)
    if not os.path.isfile(path):
        raise ConfigError(f"serviceAccountIssuer.publicKeyFile: file not found: {path}")
    return path


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
