"""Role trust policies, evaluated for the federated and service principals moto does not check.

moto checks an AssumeRole caller against the trust policy's AWS principals; for
AssumeRoleWithWebIdentity (IRSA) and the Pod Identity service it checks nothing. This evaluates the
subset IAM trust policies for those use: Allow statements, Principal Federated/Service, Action
(with wildcards), and the StringEquals / StringLike conditions IRSA trust policies are written with.
Any other condition operator makes a statement fail: refusing is never wrong in a test.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

SUPPORTED_CONDITIONS = ("StringEquals", "StringLike")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _action_matches(pattern: str, action: str) -> bool:
    # IAM actions are case-insensitive; '*' and '?' are the only wildcards.
    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


def _condition_holds(operator: str, key: str, expected: Any, context: dict[str, str]) -> bool:
    if key not in context:
        return False
    actual = context[key]
    if operator == "StringEquals":
        return any(actual == str(v) for v in _as_list(expected))
    if operator == "StringLike":
        return any(fnmatch.fnmatchcase(actual, str(v)) for v in _as_list(expected))
    return False


def allows(policy_document: str, principal_type: str, principal: str, action: str,
           context: dict[str, str]) -> bool:
    """Whether an Allow statement names this principal and action and all its conditions hold."""
    try:
        statements = _as_list(json.loads(policy_document).get("Statement", []))
    except (ValueError, AttributeError):
        return False
    for st in statements:
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        principals = st.get("Principal") or {}
        if not isinstance(principals, dict) or principal not in _as_list(principals.get(principal_type, [])):
            continue
        if not any(_action_matches(a, action) for a in _as_list(st.get("Action", []))):
            continue
        conditions = st.get("Condition") or {}
        if all(op in SUPPORTED_CONDITIONS and all(_condition_holds(op, k, v, context) for k, v in keys.items())
               for op, keys in conditions.items()):
            return True
    return False
