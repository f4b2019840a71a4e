"""The EKS Pod Identity agent: container credentials for a pod's service account.

On EKS the agent listens on http://169.254.170.23/v1/credentials; the pod gets
AWS_CONTAINER_CREDENTIALS_FULL_URI pointing there and AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, a
projected service-account token for the audience pods.eks.amazonaws.com, which the SDK sends as the
Authorization header. The agent has EKS Auth (AssumeRoleForPodIdentity) verify the token, find the
service account's Pod Identity association and assume its role, whose trust policy must trust the
pods.eks.amazonaws.com service. Here the same happens on loopback, with a real moto session.
"""

from __future__ import annotations

import logging
import secrets
import urllib.parse
from http.server import ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from .json_http import JsonRequestHandler
from .service_accounts import POD_IDENTITY_AUDIENCE, TokenInvalid, service_account_of, verify_token
from .sts import iam_backend, sts_backend
from .trust import allows

if TYPE_CHECKING:
    from .config import Config

LOG = logging.getLogger("eks-webhook")
CREDENTIALS_PATH = "/v1/credentials"
SESSION_SECONDS = 6 * 3600  # Pod Identity sessions last six hours


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code = status, code


def credentials_for(cfg: Config, issuer_url: str, tls_anchor: str, token: str) -> dict[str, Any]:
    """What the agent answers for an Authorization token, or Refused."""
    if not token:
        raise Refused(400, "InvalidParameterException",
                      "the Authorization header (the pod's service-account token) is missing")
    try:
        claims = verify_token(token, issuer_url, [POD_IDENTITY_AUDIENCE], tls_anchor)
        account = service_account_of(claims)
    except TokenInvalid as e:
        status = 500 if e.kind == "unreachable" else 401
        raise Refused(status, "InvalidTokenException", f"the service-account token was refused: {e}") from None
    association = next((r for r in cfg.host_roles if r.via == "podIdentity" and r.namespace == account.namespace
                        and r.service_account == account.name), None)
    if association is None:
        raise Refused(403, "AccessDeniedException",
                      f"no Pod Identity association for service account {account.namespace}/{account.name}")
    role = iam_backend(cfg.account_id).get_role(association.name)
    if not allows(role.assume_role_policy_document, "Service", "pods.eks.amazonaws.com", "sts:AssumeRole", {}):
        raise Refused(403, "AccessDeniedException",
                      f"role {role.arn} does not trust pods.eks.amazonaws.com (its trust policy)")
    pod = ((claims.get("kubernetes.io") or {}).get("pod") or {}).get("name") or account.name
    session = f"eks-{cfg.cluster_name}-{pod}-{secrets.token_hex(4)}"[:64]
    assumed = sts_backend(cfg.account_id).assume_role(
        region_name=cfg.region, role_session_name=session, role_arn=role.arn, policy=None,
        duration=SESSION_SECONDS, external_id=None)
    LOG.info("pod identity: %s/%s -> %s (session %s)", account.namespace, account.name, role.arn, session)
    return {
        "AccessKeyId": assumed.access_key_id,
        "SecretAccessKey": assumed.secret_access_key,
        "Token": assumed.session_token,
        "AccountId": cfg.account_id,
        "Expiration": assumed.expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


class AgentHandler(JsonRequestHandler):
    log_name = "pod identity http"
    cfg: Config
    issuer_url: str
    tls_anchor: str

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        if urllib.parse.urlsplit(self.path).path != CREDENTIALS_PATH:
            return self._send(404, {"code": "NotFound", "message": f"only {CREDENTIALS_PATH} is served"})
        try:
            body = credentials_for(self.cfg, self.issuer_url, self.tls_anchor, self.headers.get("Authorization", ""))
        except Refused as e:
            LOG.warning("pod identity: refused (%d %s): %s", e.status, e.code, e)
            return self._send(e.status, {"code": e.code, "message": str(e)})
        self._send(200, body)


class AgentServer(ThreadingHTTPServer):
    daemon_threads = True


def make_agent_server(cfg: Config, issuer_url: str, tls_anchor: str, port: int = 0) -> AgentServer:
    handler = type("BoundAgentHandler", (AgentHandler,),
                   {"cfg": cfg, "issuer_url": issuer_url, "tls_anchor": tls_anchor})
    return AgentServer(("127.0.0.1", port), handler)
