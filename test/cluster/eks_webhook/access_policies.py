"""EKS access policies as a SubjectAccessReview authorizer (rule tables from the EKS user guide's
"Review access policy permissions" page)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .identity import render_template
from .tokens import Identity

if TYPE_CHECKING:
    from .config import Config, Mapping, PolicyAssociation


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
