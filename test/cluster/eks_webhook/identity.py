"""Identity mapping: a verified identity to a Kubernetes user, by EKS access entries, then aws-auth."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .tokens import Identity

if TYPE_CHECKING:
    from .config import Config, Mapping


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
