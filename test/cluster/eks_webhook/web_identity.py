"""STS AssumeRoleWithWebIdentity as AWS serves it for IRSA.

moto answers it without looking at the token, and only after its IAM enforcement, which refuses the
request because it is unsigned (it is unsigned on AWS too: the token is the credential). Here the
request skips signature checks, and before moto issues the session the token is checked as STS checks
it: the issuer must be an IAM OIDC provider of the account, the signature must verify against the keys
the issuer publishes (fetched over HTTPS), `aud` must be one of the provider's client ids, the token
must be current, and the role's trust policy must allow sts:AssumeRoleWithWebIdentity for the
provider with its `sub`/`aud` conditions met.
"""

from __future__ import annotations

import logging
from typing import Any

from .service_accounts import TokenInvalid, unverified_issuer, verify_token
from .sts import iam_backend, oidc_provider_arn
from .trust import allows

LOG = logging.getLogger("eks-webhook")
ACTION = "sts:AssumeRoleWithWebIdentity"


def _sts_error(code: str, message: str) -> Exception:
    from moto.sts.exceptions import STSClientError

    return STSClientError(code, message)


def check_web_identity(role_arn: str, token: str, tls_anchor: str) -> dict[str, Any]:
    """Raises the error STS would answer with; returns the token's claims when the role may be assumed."""
    from moto.iam.exceptions import NotFoundException

    if not role_arn or not role_arn.startswith("arn:aws:iam::") or role_arn.count(":") != 5:
        raise _sts_error("ValidationError", "RoleArn must be an IAM role ARN")
    account_id = role_arn.split(":")[4]
    try:
        issuer = unverified_issuer(token)
        provider_arn = oidc_provider_arn(account_id, issuer)
        provider = iam_backend(account_id).open_id_providers.get(provider_arn)
        if provider is None:
            raise _sts_error("InvalidIdentityToken", f"No OpenIDConnect provider found in your account for {issuer}")
        claims = verify_token(token, issuer, list(provider.client_id_list), tls_anchor)
    except TokenInvalid as e:
        code = {"expired": "ExpiredTokenException", "unreachable": "IDPCommunicationError"}.get(e.kind,
                                                                                             "InvalidIdentityToken")
        LOG.warning("assume-role-with-web-identity %s: refused: %s", role_arn, e)
        raise _sts_error(code, str(e)) from None
    try:
        role = iam_backend(account_id).get_role_by_arn(role_arn)
    except NotFoundException:
        role = None
    provider_key = issuer.removeprefix("https://")
    aud = claims["aud"] if isinstance(claims["aud"], str) else next(
        a for a in claims["aud"] if a in provider.client_id_list)
    context = {f"{provider_key}:sub": str(claims["sub"]), f"{provider_key}:aud": aud}
    if role is None or not allows(role.assume_role_policy_document, "Federated", provider_arn, ACTION, context):
        # STS says no more than this; the log says which subject was refused (not a secret).
        LOG.warning("assume-role-with-web-identity %s: refused: the trust policy does not allow sub=%r aud=%r",
                    role_arn, claims["sub"], aud)
        raise _sts_error("AccessDenied", f"Not authorized to perform {ACTION}")
    LOG.info("assume-role-with-web-identity %s: sub=%r", role_arn, claims["sub"])
    return claims


def serve_assume_role_with_web_identity(tls_anchor: str) -> None:
    """Patch moto's STS so that AssumeRoleWithWebIdentity is answered as above."""
    from moto.sts.responses import TokenResponse

    authenticate = TokenResponse._authenticate_and_authorize_normal_action
    assume = TokenResponse.assume_role_with_web_identity

    def authenticate_signed_actions(self: TokenResponse, resource: str = "*") -> None:
        if self._get_action() != "AssumeRoleWithWebIdentity":
            authenticate(self, resource)

    def assume_checked(self: TokenResponse) -> Any:
        check_web_identity(self._get_param("RoleArn") or "", self._get_param("WebIdentityToken") or "", tls_anchor)
        return assume(self)

    TokenResponse._authenticate_and_authorize_normal_action = authenticate_signed_actions
    TokenResponse.assume_role_with_web_identity = assume_checked
