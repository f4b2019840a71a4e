"""The cluster's OIDC issuer, as EKS publishes it for IRSA and EKS Auth reads it for Pod Identity.

EKS serves each cluster's service-account issuer at https://oidc.eks.REGION.amazonaws.com/id/ID: a
discovery document and a JWKS holding the public half of the key the API server signs service-account
tokens with. Here the key is the test's own (the local API server's --service-account-key-file, or one
a test made) and the documents are served on loopback by the webhook server. Token checks fetch them
over HTTPS, as STS does, so what is served is what is used.
"""

from __future__ import annotations

import base64
import hashlib
import json
import ssl
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/keys"
# The audiences EKS uses: IRSA tokens are for STS, Pod Identity tokens for the Pod Identity agent.
STS_AUDIENCE = "sts.amazonaws.com"
POD_IDENTITY_AUDIENCE = "pods.eks.amazonaws.com"
FETCH_TIMEOUT_SECONDS = 5


class TokenInvalid(Exception):
    """A service-account token refused; `kind` says how STS would classify it."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind  # "invalid", "expired" or "unreachable"


@dataclass(frozen=True)
class ServiceAccount:
    namespace: str
    name: str

    @property
    def subject(self) -> str:
        return f"system:serviceaccount:{self.namespace}:{self.name}"


def issuer_path(cluster_name: str) -> str:
    # EKS's issuer ids are 32 upper-case hex characters; derive one from the cluster name.
    return "/id/" + hashlib.sha256(cluster_name.encode()).hexdigest()[:32].upper()


def key_id(public_key_der: bytes) -> str:
    """The `kid` kube-apiserver puts in the tokens it signs: unpadded base64url of SHA-256 over the DER key."""
    return base64.urlsafe_b64encode(hashlib.sha256(public_key_der).digest()).decode().rstrip("=")


class Issuer:
    """The documents one issuer serves, for the RSA public key in a PEM file."""

    def __init__(self, public_key_file: str):
        from cryptography.hazmat.primitives import serialization
        from joserfc.jwk import RSAKey

        with open(public_key_file, "rb") as f:
            pem = f.read()
        public = serialization.load_pem_public_key(pem)
        der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        self.jwk = {**RSAKey.import_key(pem).as_dict(private=False), "kid": key_id(der), "use": "sig", "alg": "RS256"}

    def discovery(self, issuer_url: str) -> dict[str, Any]:
        # What EKS's issuer (and kube-apiserver's ServiceAccountIssuerDiscovery) publishes.
        return {
            "issuer": issuer_url,
            "jwks_uri": issuer_url + JWKS_PATH,
            "authorization_endpoint": "urn:kubernetes:programmatic_authorization",
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "claims_supported": ["sub", "iss"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.jwk]}


def unverified_issuer(token: str) -> str:
    """The `iss` a token claims, to find its provider before its signature can be checked."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        iss = claims["iss"]
    except (IndexError, ValueError, KeyError, TypeError):
        raise TokenInvalid("invalid", "the token is not a JWT with an iss claim") from None
    if not isinstance(iss, str) or not iss.startswith("https://"):
        raise TokenInvalid("invalid", "the token's issuer is not an https URL")
    return iss


def verify_token(token: str, issuer_url: str, audiences: list[str], tls_anchor: str) -> dict[str, Any]:
    """Verify a service-account token against the issuer's published JWKS; returns its claims.

    tls_anchor is the PEM certificate the issuer serves with (trusted as is, as STS trusts an IAM
    OIDC provider's certificate by its thumbprint)."""
    from joserfc import jwt
    from joserfc.errors import ExpiredTokenError, JoseError
    from joserfc.jwk import KeySet

    discovery = _fetch_json(issuer_url + DISCOVERY_PATH, tls_anchor)
    if discovery.get("issuer") != issuer_url or not isinstance(discovery.get("jwks_uri"), str):
        raise TokenInvalid("invalid", "the issuer's discovery document does not name this issuer and a jwks_uri")
    keys = KeySet.import_key_set(_fetch_json(discovery["jwks_uri"], tls_anchor))
    try:
        decoded = jwt.decode(token, keys, algorithms=["RS256"])
        jwt.JWTClaimsRegistry(
            now=int(time.time()), leeway=0,
            iss={"essential": True, "value": issuer_url},
            sub={"essential": True},
            aud={"essential": True, "values": audiences},
            exp={"essential": True},
        ).validate(decoded.claims)
    except ExpiredTokenError:
        raise TokenInvalid("expired", "the token has expired") from None
    except (JoseError, ValueError) as e:
        # joserfc's messages name the failing check (bad_signature, invalid_claim: 'aud', …), never the token.
        raise TokenInvalid("invalid", f"the token failed verification: {e}") from None
    return decoded.claims


def service_account_of(claims: dict[str, Any]) -> ServiceAccount:
    prefix, _, rest = str(claims.get("sub", "")).partition("system:serviceaccount:")
    namespace, _, name = rest.partition(":")
    if prefix or not namespace or not name:
        raise TokenInvalid("invalid", "the token's subject is not a service account")
    return ServiceAccount(namespace, name)


def _fetch_json(url: str, tls_anchor: str) -> dict[str, Any]:
    ctx = ssl.create_default_context(cafile=tls_anchor)
    ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN  # the anchor may be a leaf certificate
    # Loopback only, never through a proxy the environment may name.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=ctx))
    try:
        with opener.open(url, timeout=FETCH_TIMEOUT_SECONDS) as response:
            body = json.loads(response.read(1 << 20))
    except (OSError, ValueError) as e:
        raise TokenInvalid("unreachable", f"cannot read {url}: {e}") from None
    if not isinstance(body, dict):
        raise TokenInvalid("unreachable", f"{url} did not answer with a JSON object")
    return body
