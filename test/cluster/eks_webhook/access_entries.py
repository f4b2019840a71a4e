"""EKS access entries as the EKS API serves them, over the very mappings the authenticator and the authorizer read.

moto's EKS has no access entries. The operations an agent host and a platform engineer use on them are added to
moto's EKS endpoint, so that IAM authorizes each (an identity without eks:ListAssociatedAccessPolicies is refused,
as on AWS) and DescribeCluster and these share one endpoint, as on AWS: DescribeAccessEntry, UpdateAccessEntry,
ListAssociatedAccessPolicies, AssociateAccessPolicy and DisassociateAccessPolicy. A change replaces the App's
configuration at once, so that the next TokenReview and SubjectAccessReview follow it (the API server's own caches
aside, as on EKS).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import urllib.parse
from typing import Any, Protocol

from .access_policies import ACCESS_POLICIES
from .config import RESERVED_USERNAME_PREFIXES, ConfigError, Config, Mapping, PolicyAssociation, \
    _check_access_entry_username, _check_template

POLICY_ARN_PREFIX = "arn:aws:eks::aws:cluster-access-policy/"


class Holder(Protocol):
    """What holds the configuration every request reads (the App)."""

    cfg: Config


def policy_arn(name: str) -> str:
    return f"{POLICY_ARN_PREFIX}{name}"


def _errors():
    from moto.eks import exceptions

    return exceptions


class AccessEntries:
    """Reads and changes the access entries of the App's configuration; one writer at a time."""

    def __init__(self, holder: Holder, clock=lambda: dt.datetime.now(dt.timezone.utc)) -> None:
        self.holder = holder
        self.clock = clock
        self.lock = threading.Lock()
        self.started = clock()
        # When each entry and association last changed (EKS answers with both times).
        self.modified: dict[tuple[str, str], dt.datetime] = {}

    def _find(self, cluster: str, principal: str) -> tuple[int, Mapping]:
        cfg = self.holder.cfg
        if cluster != cfg.cluster_name:
            raise _errors().ResourceNotFoundException(message=f"No cluster found for name: {cluster}.")
        for i, entry in enumerate(cfg.access_entries):
            if entry.principal_arn.lower() == principal.lower():
                return i, entry
        raise _errors().ResourceNotFoundException(
            message=f"The specified principalArn could not be found. You can view your available access entries with "
                    f"'aws eks list-access-entries --cluster-name {cluster}'.")

    def _replace(self, index: int, entry: Mapping) -> None:
        cfg = self.holder.cfg
        entries = list(cfg.access_entries)
        entries[index] = entry
        self.holder.cfg = dataclasses.replace(cfg, access_entries=tuple(entries))

    def _time(self, principal: str, what: str = "") -> dt.datetime:
        return self.modified.get((principal.lower(), what), self.started)

    def describe(self, cluster: str, principal: str) -> dict[str, Any]:
        _, entry = self._find(cluster, principal)
        cfg = self.holder.cfg
        return {"accessEntry": {
            "clusterName": cluster, "principalArn": entry.principal_arn, "kubernetesGroups": list(entry.groups),
            "accessEntryArn": f"arn:aws:eks:{cfg.region}:{cfg.account_id}:access-entry/{cluster}/"
                              f"{entry.principal_arn.split(':', 5)[5]}",
            "createdAt": self.started, "modifiedAt": self._time(principal), "tags": {},
            "username": entry.username, "type": "STANDARD",
        }}

    def update(self, cluster: str, principal: str, groups: list[str] | None, username: str | None) -> dict[str, Any]:
        with self.lock:
            index, entry = self._find(cluster, principal)
            changes: dict[str, Any] = {}
            if groups is not None:
                bad = [g for g in groups if not g or g.startswith(RESERVED_USERNAME_PREFIXES)]
                if bad:
                    raise _errors().InvalidParameterException(message=f"kubernetesGroups may not start with "
                                                              f"{', '.join(RESERVED_USERNAME_PREFIXES)}: {bad[0]}")
                changes["groups"] = tuple(groups)
            if username is not None:
                try:
                    _check_access_entry_username(username, "username")
                    _check_template(username, "username", ":role/" in entry.principal_arn)
                except ConfigError as e:
                    raise _errors().InvalidParameterException(message=str(e)) from None
                changes["username"] = username
            self._replace(index, dataclasses.replace(entry, **changes))
            self.modified[(principal.lower(), "")] = self.clock()
        return self.describe(cluster, principal)

    def _association(self, principal: str, assoc: PolicyAssociation) -> dict[str, Any]:
        scope = {"type": "cluster", "namespaces": []} if assoc.namespaces is None else \
            {"type": "namespace", "namespaces": list(assoc.namespaces)}
        at = self._time(principal, assoc.policy)
        return {"policyArn": policy_arn(assoc.policy), "accessScope": scope, "associatedAt": at, "modifiedAt": at}

    def list_policies(self, cluster: str, principal: str) -> dict[str, Any]:
        _, entry = self._find(cluster, principal)
        return {"clusterName": cluster, "principalArn": entry.principal_arn,
                "associatedAccessPolicies": [self._association(principal, a) for a in entry.policies]}

    def associate(self, cluster: str, principal: str, arn: str, scope: dict[str, Any]) -> dict[str, Any]:
        name = arn[len(POLICY_ARN_PREFIX):] if arn.startswith(POLICY_ARN_PREFIX) else ""
        if name not in ACCESS_POLICIES:
            raise _errors().ResourceNotFoundException(message=f"The specified policyArn could not be found: {arn}")
        kind, namespaces = (scope or {}).get("type"), (scope or {}).get("namespaces") or []
        if kind not in ("cluster", "namespace") or (kind == "namespace") != bool(namespaces):
            raise _errors().InvalidParameterException(
                message="accessScope: type cluster without namespaces, or type namespace with at least one")
        association = PolicyAssociation(name, None if kind == "cluster" else tuple(namespaces))
        with self.lock:
            index, entry = self._find(cluster, principal)
            # Associating a policy again replaces its scope, as EKS does.
            policies = tuple(a for a in entry.policies if a.policy != name) + (association,)
            self._replace(index, dataclasses.replace(entry, policies=policies))
            self.modified[(principal.lower(), name)] = self.clock()
        return {"clusterName": cluster, "principalArn": entry.principal_arn,
                "associatedAccessPolicy": self._association(principal, association)}

    def disassociate(self, cluster: str, principal: str, arn: str) -> dict[str, Any]:
        with self.lock:
            index, entry = self._find(cluster, principal)
            kept = tuple(a for a in entry.policies if policy_arn(a.policy) != arn)
            if len(kept) == len(entry.policies):
                raise _errors().ResourceNotFoundException(message=f"The policy {arn} is not associated with "
                                                          f"{entry.principal_arn}.")
            self._replace(index, dataclasses.replace(entry, policies=kept))
        return {}


def serve_access_entries(entries: AccessEntries) -> None:
    """Adds the access-entry operations to moto's EKS: its routes (the principal ARN, percent-encoded in the path,
    holds slashes once decoded) and its handlers, which moto reaches after authenticating and authorizing."""
    from moto.core.exceptions import JsonRESTError, _RESTError
    from moto.core.responses import ActionResult
    from moto.eks import urls
    from moto.eks.responses import EKSResponse

    urls.url_paths.update({
        "{0}/clusters/(?P<name>[^/]+)/access-entries/(?P<rest>.+)$": urls.response.dispatch,
    })
    authorize = EKSResponse._authenticate_and_authorize_normal_action

    def authorize_the_path_signed(self: EKSResponse, resource: str = "*") -> None:
        # The principal ARN is percent-encoded in the path the client signed; moto would check the signature over
        # the decoded path, where its slash and colons are plain.
        self.uri = urllib.parse.urlsplit(self.uri)._replace(path=self.raw_path).geturl()
        try:
            authorize(self, resource)
        except _RESTError as e:  # EKS answers in JSON, and calls a refusal AccessDeniedException
            refusal = JsonRESTError("AccessDeniedException" if e.error_type == "AccessDenied" else e.error_type, e.message)
            refusal.code = e.code
            raise refusal from None

    EKSResponse._authenticate_and_authorize_normal_action = authorize_the_path_signed

    def arg(self: EKSResponse, name: str) -> str:
        return urllib.parse.unquote(self._get_param(name) or "")

    def body(self: EKSResponse) -> dict[str, Any]:
        import json

        return json.loads(self.body or "{}")

    handlers = {
        "describe_access_entry": lambda self: entries.describe(arg(self, "name"), arg(self, "principalArn")),
        "update_access_entry": lambda self: entries.update(
            arg(self, "name"), arg(self, "principalArn"), body(self).get("kubernetesGroups"), body(self).get("username")),
        "list_associated_access_policies": lambda self: entries.list_policies(arg(self, "name"), arg(self, "principalArn")),
        "associate_access_policy": lambda self: entries.associate(
            arg(self, "name"), arg(self, "principalArn"), body(self).get("policyArn") or "", body(self).get("accessScope")),
        "disassociate_access_policy": lambda self: entries.disassociate(
            arg(self, "name"), arg(self, "principalArn"), arg(self, "policyArn")),
    }
    for method, handler in handlers.items():
        setattr(EKSResponse, method, lambda self, handler=handler: ActionResult(handler(self)))
