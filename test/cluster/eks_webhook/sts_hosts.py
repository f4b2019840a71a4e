"""Which STS hosts a token may name: aws-iam-authenticator's rule for the cluster's partition.

Ported from kubernetes-sigs/aws-iam-authenticator pkg/token/token.go (verifySTSHostnameFormat,
getStsRegion, getDefaultHostNamesForRegion) and pkg/endpoints/partitions.go at 81b1daba. The
authenticator resolves the host's region with the Go SDK's STS endpoint rules (FIPS and dual-stack
on and off); botocore ships the same rule set and partition data, so it resolves here.
"""

from __future__ import annotations

import functools
import re

# pkg/endpoints/partitions.go: the authenticator's own tables, deliberately not the SDK's
# (GovCloud shares the commercial domain; the ISO partitions get no dual-stack domain).
PARTITION_DOMAINS = {
    "aws": "amazonaws.com",
    "aws-cn": "amazonaws.com.cn",
    "aws-us-gov": "amazonaws.com",
    "aws-iso": "c2s.ic.gov",
    "aws-iso-b": "sc2s.sgov.gov",
    "aws-iso-e": "cloud.adc-e.uk",
    "aws-iso-f": "csp.hci.ic.gov",
    "aws-eusc": "amazonaws.eu",
}
DUAL_STACK_DOMAINS = {
    "aws": "api.aws",
    "aws-us-gov": "api.aws",
    "aws-cn": "api.amazonwebservices.com.cn",
    "aws-eusc": "api.amazonwebservices.eu",
}
GLOBAL_HOST = "sts.amazonaws.com"
# aws-sdk-go v1's region check, which the authenticator kept.
REGION_ID_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$")


class HostRefused(Exception):
    """str(e) is the authenticator's reason (without its "input token was not properly formatted" prefix)."""


def sts_region(host: str) -> str:
    """getStsRegion: the host's second label, or "global" for the global endpoint."""
    if not host:
        raise HostRefused("could not parse region for pre-signed URL , host is empty")
    parts = host.split(".")
    if len(parts) < 3:
        raise HostRefused(f"could not parse region for pre-signed URL {host}, invalid host format: {host}")
    return "global" if host == GLOBAL_HOST else parts[1]


def signing_region(host: str) -> str:
    """The region a request to this host is signed for (the global endpoint signs for us-east-1)."""
    region = sts_region(host)
    return "us-east-1" if region == "global" else region


def check_sts_host(host: str, partition: str, region: str) -> None:
    """Raises HostRefused unless aws-iam-authenticator, started for this partition and region, accepts host."""
    host_region = sts_region(host)
    if host_region == "global":
        if partition == "aws":
            return
        raise HostRefused(f"global endpoint unsupported in partition {partition}")
    if not REGION_ID_RE.match(host_region):
        raise HostRefused(f"invalid region identifier format provided: {host_region}")
    if host not in resolved_sts_hosts(host_region):
        # Regions the SDK does not know yet: the configured region's plain and dual-stack names.
        if host in default_host_names(partition, region):
            return
        raise HostRefused(f"unexpected hostname {_shorten(host)} in pre-signed URL")
    parts = host.split(".")
    if len(parts) < 4:
        raise HostRefused(f"invalid host format, too few labels: {host}")
    domain = ".".join(parts[2:])
    if partition not in PARTITION_DOMAINS:
        raise HostRefused(f"partition {partition} not valid")
    if domain not in (PARTITION_DOMAINS[partition], DUAL_STACK_DOMAINS.get(partition, "")):
        raise HostRefused(f"partition {{{partition}}} does not support hostname {host}")


def _shorten(host: str) -> str:
    return repr(host[:64] + ("…" if len(host) > 64 else ""))


def default_host_names(partition: str, region: str) -> tuple[str, ...]:
    if not REGION_ID_RE.match(region) or partition not in PARTITION_DOMAINS:
        return ()
    names = [f"sts.{region}.{PARTITION_DOMAINS[partition]}"]
    if partition in DUAL_STACK_DOMAINS:
        names.append(f"sts.{region}.{DUAL_STACK_DOMAINS[partition]}")
    return tuple(names)


@functools.lru_cache(maxsize=256)
def resolved_sts_hosts(region: str) -> frozenset[str]:
    """The hosts the SDK's STS endpoint rules give for region, FIPS and dual-stack each on and off."""
    from botocore.exceptions import EndpointResolutionError

    hosts = set()
    for fips in (True, False):
        for dual_stack in (True, False):
            try:
                url = _endpoint_provider().resolve_endpoint(Region=region, UseFIPS=fips, UseDualStack=dual_stack).url
            except EndpointResolutionError:
                continue  # as the authenticator skips a combination the partition does not support
            hosts.add(url.split("://", 1)[1].split("/", 1)[0])
    return frozenset(hosts)


def partition_of(region: str) -> str:
    """The partition a region belongs to, from botocore's partition data (unknown regions: aws)."""
    partitions = _partitions()["partitions"]
    for partition in partitions:
        if region in partition["regions"]:
            return partition["id"]
    for partition in partitions:
        if re.match(partition["regionRegex"], region):
            return partition["id"]
    return "aws"


@functools.lru_cache(maxsize=1)
def _partitions() -> dict:
    from botocore.loaders import create_loader

    return create_loader().load_data("partitions")


@functools.lru_cache(maxsize=1)
def _endpoint_provider():
    from botocore.endpoint_provider import EndpointProvider
    from botocore.loaders import create_loader

    return EndpointProvider(create_loader().load_service_model("sts", "endpoint-rule-set-1"), _partitions())
