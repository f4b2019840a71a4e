"""AWS STS/IAM, served by moto in this process with IAM authorization enforced, and what STS knows about
an access key when it verifies a signature."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .service_accounts import STS_AUDIENCE

if TYPE_CHECKING:
    from .config import Config, HostRole, RoleIam

PARTITION = "aws"


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
    _trust_policies_name_roles_not_sessions()
    _trust_policies_see_the_session_name()
    _iam_reads_authorized_on_their_resource()


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


def _trust_policies_name_roles_not_sessions() -> None:
    """A trust policy naming a role as AWS principal lets that role's sessions in (how IAM evaluates it, and
    how an agent host running with IRSA or Pod Identity assumes the agent role). moto compares the session's
    ARN with the role's and refuses; evaluate the policy for the session's role as well."""
    from moto.iam import access_control

    original = access_control.IAMRequestBase._check_role_trust_relationship

    def check_role_trust_relationship(self: Any, role_arn: str) -> bool:
        if original(self, role_arn):
            return True
        session = re.fullmatch(r"arn:([\w-]+):sts::(\d{12}):assumed-role/([\w+=,.@-]+)/[\w+=,.@-]+",
                               self._access_key.arn)
        if not session:
            return False
        partition, account, role_name = session.groups()
        policy = access_control.IAMPolicy(self.backend.get_role_by_arn(role_arn).assume_role_policy_document)
        result = policy.is_action_permitted(self._action, role_arn, f"arn:{partition}:iam::{account}:role/{role_name}",
                                            access_control.format_incoming_conditional_values(self._data))
        return result == access_control.PermissionResult.PERMITTED

    access_control.IAMRequestBase._check_role_trust_relationship = check_role_trust_relationship


def _trust_policies_see_the_session_name() -> None:
    """A trust policy condition on sts:RoleSessionName is how a role pins the session name (and so the Kubernetes
    user EKS maps it to). moto passes only sts:ExternalId to trust conditions, and a condition on a key it does not
    pass holds; pass the session name AssumeRole asks for too, so that the pin refuses any other name."""
    from moto.iam import access_control

    original = access_control.format_incoming_conditional_values

    def format_incoming_conditional_values(data: dict) -> dict[str, str]:
        values = original(data)
        if data.get("RoleSessionName"):
            values["sts:RoleSessionName"] = data["RoleSessionName"][0]
        return values

    access_control.format_incoming_conditional_values = format_incoming_conditional_values


# IAM authorizes a read of a role on the role's ARN and a read of a managed policy on the policy's.
ROLE_READS = ("iam:GetRole", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies")
POLICY_READS = ("iam:GetPolicy", "iam:GetPolicyVersion")


def _iam_reads_authorized_on_their_resource() -> None:
    """moto authorizes every IAM action on Resource "*", so a policy scoped to some roles could never allow a read.
    Authorize the reads the agent host makes on the resource IAM authorizes them on, so that the host's policy is
    tested as written (a role outside it is refused)."""
    from moto.iam import access_control

    original = access_control.IAMRequestBase.check_action_permitted

    def check_action_permitted(self: Any, resource: str) -> None:
        data = self._data or {}
        if resource == "*" and self._action in ROLE_READS and data.get("RoleName"):
            resource = f"arn:{PARTITION}:iam::{self.account_id}:role/{data['RoleName'][0]}"
        elif resource == "*" and self._action in POLICY_READS and data.get("PolicyArn"):
            resource = data["PolicyArn"][0]
        return original(self, resource)

    access_control.IAMRequestBase.check_action_permitted = check_action_permitted


def iam_backend(account_id: str):
    from moto.iam.models import iam_backends

    return iam_backends[account_id][PARTITION]


def sts_backend(account_id: str):
    from moto.sts.models import sts_backends

    return sts_backends[account_id][PARTITION]


@dataclass(frozen=True)
class SeededIam:
    user_arn: str
    access_key_id: str
    secret_access_key: str
    role_arns: dict[str, str]


ASSUME_ANY_ROLE = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
})


def trust_policy(cfg: Config, trusts_host_user: bool, session_names: tuple[str, ...] = ()) -> str:
    # A list, never a bare string: moto tests `principal in value`, which on a
    # string is a substring test. Untrusted roles trust another account's
    # root — as in real IAM that grants nothing to our host user (trusting our
    # own account's root would let the host user in on real AWS). The agent
    # host is its IAM user, or its role when it runs as a pod (IRSA, Pod Identity).
    principals = ([f"arn:aws:iam::{cfg.account_id}:user/{cfg.host_user}"]
                  + [f"arn:aws:iam::{cfg.account_id}:role/{r.name}" for r in cfg.host_roles]
                  if trusts_host_user else ["arn:aws:iam::999999999999:root"])
    statement = {"Effect": "Allow", "Principal": {"AWS": principals}, "Action": "sts:AssumeRole"}
    if session_names:
        statement["Condition"] = {"StringEquals": {"sts:RoleSessionName": list(session_names)}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def oidc_provider_arn(account_id: str, issuer_url: str) -> str:
    return f"arn:aws:iam::{account_id}:oidc-provider/{issuer_url.removeprefix('https://')}"


def host_role_trust_policy(cfg: Config, role: HostRole, issuer_url: str) -> str:
    """What EKS's documentation tells you to write: IRSA trusts the cluster's OIDC provider for one
    service account and STS as audience; Pod Identity trusts the pods.eks.amazonaws.com service."""
    if role.via == "podIdentity":
        statement = {"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
                     "Action": ["sts:AssumeRole", "sts:TagSession"]}
    else:
        provider = issuer_url.removeprefix("https://")
        statement = {
            "Effect": "Allow",
            "Principal": {"Federated": oidc_provider_arn(cfg.account_id, issuer_url)},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {
                f"{provider}:sub": f"system:serviceaccount:{role.namespace}:{role.service_account}",
                f"{provider}:aud": STS_AUDIENCE,
            }},
        }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def seed_iam(cfg: Config, issuer_url: str | None = None) -> SeededIam:
    iam = iam_backend(cfg.account_id)
    user = iam.create_user("us-east-1", cfg.host_user, "/")
    iam.put_user_policy(cfg.host_user, "assume-any-role", ASSUME_ANY_ROLE)
    for policy in cfg.host_user_policies:
        iam.put_user_policy(cfg.host_user, policy.name, policy.document)
    key = iam.create_access_key(cfg.host_user)
    role_arns = {}
    extras = {r.name: r for r in cfg.role_iam}
    for name, trusted in cfg.roles:
        extra = extras.get(name)
        role = iam.create_role(name, trust_policy(cfg, trusted, extra.session_names if extra else ()), "/",
                               _boundary_arn(iam, extra), f"eks-webhook test role {name}", [], None)
        role_arns[name] = role.arn
        if extra:
            seed_role_policies(iam, extra)
    if issuer_url:
        # The cluster's IAM OIDC provider (eksctl utils associate-iam-oidc-provider); STS requires one.
        iam.create_open_id_connect_provider(issuer_url, ["0" * 40], [STS_AUDIENCE], [])
    for host in cfg.host_roles:
        assert issuer_url, "config validation requires an issuer for host roles"
        role = iam.create_role(host.name, host_role_trust_policy(cfg, host, issuer_url), "/", None,
                               f"eks-webhook agent host via {host.via}", [], None)
        iam.put_role_policy(host.name, "assume-any-role", ASSUME_ANY_ROLE)
        role_arns[host.name] = role.arn
    if cfg.eks_cluster:
        seed_eks_cluster(cfg, iam, role_arns)
    return SeededIam(user.arn, key.access_key_id, key.secret_access_key, role_arns)


def _boundary_arn(iam: Any, extra: RoleIam | None) -> str | None:
    """The role's permissions boundary, created as a customer managed policy first (IAM needs it to exist)."""
    if not extra or not extra.permissions_boundary:
        return None
    boundary = extra.permissions_boundary
    return iam.create_policy(f"permissions boundary of {extra.name}", "/", boundary.document, boundary.name, []).arn


def seed_role_policies(iam: Any, extra: RoleIam) -> None:
    """The role's inline policies, and its customer managed policies created and attached."""
    for policy in extra.policies:
        iam.put_role_policy(extra.name, policy.name, policy.document)
    for policy in extra.managed_policies:
        arn = iam.create_policy(f"attached to {extra.name}", "/", policy.document, policy.name, []).arn
        iam.attach_role_policy(arn, extra.name)


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
    for assumed in list(sts_backend(account_id).assumed_roles):
        if assumed.access_key_id == access_key_id:
            return _assumed_role_credential(account_id, assumed)
    for user in list(iam_backend(account_id).users.values()):
        for key in list(user.access_keys):
            if key.access_key_id == access_key_id:
                if key.status != "Active":
                    raise StsError("InvalidClientTokenId: the access key is inactive")
                return Credential(access_key_id, key.secret_access_key, None, None, user.arn, user.id, account_id)
    raise StsError(f"InvalidClientTokenId: unknown access key {_mask(access_key_id)}")


def _assumed_role_credential(account_id: str, assumed) -> Credential:
    from moto.iam.exceptions import NotFoundException

    try:
        role = iam_backend(account_id).get_role_by_arn(assumed.role_arn)
    except NotFoundException:
        # moto issues keys even for roles that do not exist; real STS never does.
        raise StsError(f"InvalidClientTokenId: role {assumed.role_arn} does not exist") from None
    return Credential(assumed.access_key_id, assumed.secret_access_key, assumed.session_token,
                      assumed.expiration, assumed.arn, f"{role.id}:{assumed.session_name}", account_id)


def _mask(value: str) -> str:
    """Enough of an access key id to recognise it in logs, not to use it."""
    return f"{value[:4]}…{value[-4:]}" if len(value) > 8 else "…"
