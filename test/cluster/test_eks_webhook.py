"""Tests for the eks_webhook package with real tokens against its in-process moto.

Run: python3 -m pytest -q test/cluster/test_eks_webhook.py
One webhook process serves the whole module; it is started on free ports
and stopped (SIGTERM) at the end.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import ipaddress
import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from unittest import mock

import boto3
import botocore
import botocore.exceptions
import pytest
import requests
from botocore.config import Config as BotoConfig
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the eks_webhook package sits beside this file
# its pure-Python parts, for unit tests
from eks_webhook import config as webhook_config, sts as webhook_sts, sts_hosts, tokens  # noqa: E402

CLUSTER = "test-cluster"
REGION = "us-west-2"
ACCOUNT = "123456789012"
SESSION = "alice@example.com"
MINTED: list[str] = []  # every token made here; none may show up in the logs
SA_TOKENS: list[str] = []  # the service-account tokens made here; nor these


# --------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def isolated_aws_env():
    """No AWS settings from the machine may steer boto3 or the aws CLI."""
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith("AWS_"):
                mp.delenv(key)
        mp.setenv("AWS_CONFIG_FILE", os.devnull)
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
        yield


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("eks-webhook")


@pytest.fixture(scope="module")
def tls(workdir) -> dict[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "eks-webhook-test")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    paths = {"cert": str(workdir / "tls.crt"), "key": str(workdir / "tls.key")}
    Path(paths["cert"]).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    Path(paths["key"]).write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption()))
    return paths


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


@pytest.fixture(scope="module")
def sa_key(workdir):
    """The key service-account tokens are signed with (the API server's, on the control plane)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = workdir / "sa.pub"
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return key, str(public)


def make_config(tls: dict[str, str], sa_public_key: str | None = None) -> dict:
    hosted = {} if sa_public_key is None else {
        "serviceAccountIssuer": {"publicKeyFile": sa_public_key},
        "hostRoles": [{"name": "irsa-host", "via": "irsa", "serviceAccount": "agents/mcp"},
                      {"name": "pod-host", "via": "podIdentity", "serviceAccount": "agents/mcp"}],
    }
    return {
        **hosted,
        "clusterName": CLUSTER,
        "region": REGION,
        "tls": tls,
        "hostUser": "agent-host",
        "roles": [
            # The viewer may read its own associations; the admin is the platform engineer who changes them.
            {"name": "viewer", "trustsHostUser": True, "policies": [{"name": "permissions", "document": {
                "Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": "eks:ListAssociatedAccessPolicies", "Resource": "*"}]}}]},
            {"name": "operator", "trustsHostUser": True},
            {"name": "admin", "trustsHostUser": True, "policies": [{"name": "permissions", "document": {
                "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "eks:*", "Resource": "*"}]}}]},
            {"name": "editor", "trustsHostUser": True},
            {"name": "unmapped", "trustsHostUser": True},
            {"name": "locked", "trustsHostUser": False},
            {"name": "pinned", "trustsHostUser": True, "sessionNames": [SESSION]},
            {"name": "bounded", "trustsHostUser": True,
             "policies": [{"name": "eks", "document": {"Version": "2012-10-17", "Statement": [
                 {"Effect": "Allow", "Action": "eks:*", "Resource": "*"}]}}],
             "managedPolicies": [{"name": "everything", "document": {"Version": "2012-10-17", "Statement": [
                 {"Effect": "Allow", "Action": "*", "Resource": "*"}]}}],
             "permissionsBoundary": {"name": "read-eks", "document": {"Version": "2012-10-17", "Statement": [
                 {"Effect": "Allow", "Action": "eks:Describe*", "Resource": "*"}]}}},
        ],
        "hostUserPolicies": [{"name": "read-some-roles", "document": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["iam:GetRole", "iam:ListRolePolicies", "iam:GetRolePolicy",
                                           "iam:ListAttachedRolePolicies"],
             "Resource": [role_arn("viewer"), role_arn("bounded")]},
            {"Effect": "Allow", "Action": ["iam:GetPolicy", "iam:GetPolicyVersion"],
             "Resource": f"arn:aws:iam::{ACCOUNT}:policy/*"}]}}],
        "accessEntries": [
            {"principalArn": role_arn("viewer"), "groups": ["eks-viewers"],
             "accessPolicies": [{"policy": "AmazonEKSViewPolicy",
                                 "scope": {"type": "namespace", "namespaces": ["team-a"]}}]},
            {"principalArn": role_arn("operator"), "username": "agent:{{RoleName}}:{{SessionNameRaw}}",
             "groups": ["agents", "{{AccountID}}-ops"],
             "accessPolicies": [{"policy": "AmazonEKSEditPolicy", "scope": {"type": "cluster"}},
                                {"policy": "AmazonEKSAdminPolicy",
                                 "scope": {"type": "namespace", "namespaces": ["ops-*"]}}]},
            {"principalArn": role_arn("admin"),
             "accessPolicies": [{"policy": "AmazonEKSClusterAdminPolicy", "scope": {"type": "cluster"}}]},
        ],
        "awsAuth": {
            "mapRoles": [{"rolearn": role_arn("editor"), "username": "editor:{{SessionName}}",
                          "groups": ["editors"]}],
            "mapUsers": [{"userarn": f"arn:aws:iam::{ACCOUNT}:user/agent-host", "username": "agent-host",
                          "groups": ["hosts"]}],
        },
    }


def start_webhook(workdir: Path, config: dict, name: str, *extra_args: str) -> tuple[subprocess.Popen, dict, Path]:
    config_path = workdir / f"{name}.json"
    config_path.write_text(json.dumps(config))
    state = workdir / f"{name}-state"
    log_path = workdir / f"{name}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "eks_webhook", "--config", str(config_path), "--state-dir", str(state), *extra_args],
            cwd=HERE, stdin=subprocess.PIPE, stdout=log, stderr=log)
    ready_file = state / "ready.json"
    deadline = time.monotonic() + 15
    while not ready_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"webhook did not become ready:\n{log_path.read_text()}")
        time.sleep(0.05)
    return proc, json.loads(ready_file.read_text()), log_path


@pytest.fixture(scope="module")
def webhook(workdir, tls, sa_key):
    proc, ready, log_path = start_webhook(workdir, make_config(tls, sa_key[1]), "main", "--verbose")
    ready["_log"] = log_path
    ready["_cert"] = tls["cert"]
    yield ready
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0, log_path.read_text()
    assert not (workdir / "main-state" / "ready.json").exists(), "ready.json must go away on exit"
    log = log_path.read_text()
    for token in MINTED:  # the tail carries the signature, unique per token
        assert len(token) < 40 or token[-40:] not in log, "a token leaked into the log"
    assert ready["hostUser"]["secretAccessKey"] not in log
    assert "X-Amz-Signature=" not in log and "X-Amz-Security-Token=" not in log, "a decoded token leaked"
    for token in SA_TOKENS:
        assert token.split(".")[2] not in log, "a service-account token leaked into the log"


# --------------------------------------------------------------------------
# helpers: STS through moto, token minting the way `aws eks get-token` does
# --------------------------------------------------------------------------


def moto_sts(ready: dict, creds: dict):
    return boto3.client("sts", endpoint_url=ready["motoUrl"], region_name=REGION,
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds.get("SessionToken"))


def host_creds(ready: dict) -> dict:
    return {"AccessKeyId": ready["hostUser"]["accessKeyId"],
            "SecretAccessKey": ready["hostUser"]["secretAccessKey"]}


def assume(ready: dict, role: str, session: str = SESSION) -> dict:
    return moto_sts(ready, host_creds(ready)).assume_role(RoleArn=ready["roles"][role],
                                                         RoleSessionName=session)["Credentials"]


def mint(creds: dict, cluster: str | None = CLUSTER, *, region: str = REGION, endpoint: str | None = None,
         expires: int = 60, operation: str = "get_caller_identity", at: dt.datetime | None = None,
         fips: bool = False, dual_stack: bool = False) -> str:
    """Presign like awscli/customizations/eks/get_token.py (header added before signing)."""
    client = boto3.client("sts", region_name=region, endpoint_url=endpoint,
                          aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                          aws_session_token=creds.get("SessionToken"),
                          config=BotoConfig(retries={"max_attempts": 0}, use_fips_endpoint=fips,
                                            use_dualstack_endpoint=dual_stack))
    if cluster is not None:
        def add_cluster_header(request, **_):
            request.headers["x-k8s-aws-id"] = cluster
        client.meta.events.register("before-sign.sts.*", add_cluster_header)
    with mock.patch("botocore.auth.get_current_datetime", return_value=at) if at else contextlib.nullcontext():
        url = client.generate_presigned_url(operation, ExpiresIn=expires, HttpMethod="GET")
    return encode(url)


def encode(url: str) -> str:
    token = "k8s-aws-v1." + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")
    MINTED.append(token)
    return token


def decode(token: str) -> str:
    body = token[len("k8s-aws-v1."):]
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()


def review(ready: dict, token: str) -> dict:
    resp = requests.post(f"{ready['webhookUrl']}/authenticate", verify=ready["_cert"], timeout=10, json={
        "apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token}})
    assert resp.status_code == 200
    body = resp.json()
    assert body["apiVersion"] == "authentication.k8s.io/v1" and body["kind"] == "TokenReview"
    return body["status"]


def authenticated_user(ready: dict, role: str) -> dict:
    status = review(ready, mint(assume(ready, role)))
    assert status["authenticated"], status
    return status["user"]


# --------------------------------------------------------------------------
# STS / IAM
# --------------------------------------------------------------------------


def test_ready_file(webhook):
    assert webhook["accountId"] == ACCOUNT
    assert webhook["hostUser"]["arn"] == f"arn:aws:iam::{ACCOUNT}:user/agent-host"
    assert webhook["hostUser"]["accessKeyId"].startswith("AKIA")
    assert webhook["roles"]["viewer"] == role_arn("viewer")
    assert webhook["motoUrl"].startswith("http://127.0.0.1:")
    assert webhook["webhookUrl"].startswith("https://127.0.0.1:")


def test_assume_role_allowed_only_by_trust_policy(webhook):
    creds = assume(webhook, "viewer")
    assert creds["AccessKeyId"].startswith("ASIA")
    who = moto_sts(webhook, creds).get_caller_identity()
    assert who["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/viewer/{SESSION}"
    with pytest.raises(botocore.exceptions.ClientError) as err:
        assume(webhook, "locked")
    assert err.value.response["Error"]["Code"] == "AccessDenied"


def test_moto_enforces_authentication(webhook):
    bogus = {"AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "SecretAccessKey": "x" * 40}
    with pytest.raises(botocore.exceptions.ClientError) as err:
        moto_sts(webhook, bogus).assume_role(RoleArn=webhook["roles"]["viewer"], RoleSessionName="intruder")
    assert err.value.response["Error"]["Code"] == "InvalidClientTokenId"


def moto_iam(ready: dict, creds: dict):
    return boto3.client("iam", endpoint_url=ready["motoUrl"], region_name="us-east-1",
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds.get("SessionToken"))


def test_trust_policy_pins_the_session_name(webhook):
    assert assume(webhook, "pinned")["AccessKeyId"].startswith("ASIA")
    with pytest.raises(botocore.exceptions.ClientError) as err:
        assume(webhook, "pinned", session="someone-else")
    assert err.value.response["Error"]["Code"] == "AccessDenied"
    unpinned = assume(webhook, "viewer", session="anyone")
    assert unpinned["AccessKeyId"].startswith("ASIA"), "an unpinned role takes any name"


def test_iam_reads_authorized_on_the_role_and_policy_they_read(webhook):
    iam = moto_iam(webhook, host_creds(webhook))
    role = iam.get_role(RoleName="bounded")["Role"]
    boundary = role["PermissionsBoundary"]["PermissionsBoundaryArn"]
    assert boundary == f"arn:aws:iam::{ACCOUNT}:policy/read-eks"
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"][0].endswith(":user/agent-host")
    assert iam.list_role_policies(RoleName="bounded")["PolicyNames"] == ["eks"]
    attached = iam.list_attached_role_policies(RoleName="bounded")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["everything"]
    version = iam.get_policy(PolicyArn=boundary)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=boundary, VersionId=version)["PolicyVersion"]["Document"]
    assert document["Statement"][0]["Action"] == "eks:Describe*"
    inline = iam.get_role_policy(RoleName="bounded", PolicyName="eks")["PolicyDocument"]
    assert inline["Statement"][0]["Action"] == "eks:*"
    for call in (lambda: iam.get_role(RoleName="operator"), lambda: iam.list_role_policies(RoleName="operator"),
                 lambda: iam.list_roles(),
                 lambda: iam.put_role_policy(RoleName="viewer", PolicyName="x", PolicyDocument="{}")):
        with pytest.raises(botocore.exceptions.ClientError) as err:
            call()
        assert err.value.response["Error"]["Code"] == "AccessDenied", "the host's policy names viewer and bounded only"
    agent = moto_iam(webhook, assume(webhook, "viewer"))
    with pytest.raises(botocore.exceptions.ClientError) as err:
        agent.get_role(RoleName="viewer")
    assert err.value.response["Error"]["Code"] == "AccessDenied", "a role without the read policy reads nothing"


# --------------------------------------------------------------------------
# authentication: accepted tokens and the identities they map to
# --------------------------------------------------------------------------


def test_access_entry_default_username(webhook):
    creds = assume(webhook, "viewer")
    status = review(webhook, mint(creds))
    assert status["authenticated"] is True, status
    user = status["user"]
    role_id = user["extra"]["principalId"][0]
    assert role_id.startswith("AROA")
    assert user == {
        "username": f"arn:aws:sts::{ACCOUNT}:assumed-role/viewer/alice-example.com",
        "uid": f"aws-iam-authenticator:{ACCOUNT}:{role_id}",
        "groups": ["eks-viewers"],
        "extra": {
            "arn": [f"arn:aws:sts::{ACCOUNT}:assumed-role/viewer/{SESSION}"],
            "canonicalArn": [role_arn("viewer")],
            "sessionName": [SESSION],
            "accessKeyId": [creds["AccessKeyId"]],
            "principalId": [role_id],
        },
    }


def test_access_entry_username_template(webhook):
    user = authenticated_user(webhook, "operator")
    assert user["username"] == f"agent:operator:{SESSION}"  # SessionNameRaw keeps the '@'
    assert user["groups"] == ["agents", f"{ACCOUNT}-ops"]


def test_aws_auth_map_roles(webhook):
    user = authenticated_user(webhook, "editor")
    assert user["username"] == "editor:alice-example.com"  # SessionName turns '@' into '-'
    assert user["groups"] == ["editors"]
    assert user["extra"]["canonicalArn"] == [role_arn("editor")]


def test_aws_auth_map_users_with_long_term_key(webhook):
    status = review(webhook, mint(host_creds(webhook)))
    assert status["authenticated"] is True, status
    user = status["user"]
    assert user["username"] == "agent-host" and user["groups"] == ["hosts"]
    assert user["extra"]["arn"] == [webhook["hostUser"]["arn"]]
    assert user["extra"]["sessionName"] == [""]
    assert user["uid"] == f"aws-iam-authenticator:{ACCOUNT}:{user['extra']['principalId'][0]}"


def test_global_sts_endpoint_accepted(webhook):
    token = mint(assume(webhook, "viewer"), region="us-east-1", endpoint="https://sts.amazonaws.com")
    assert decode(token).startswith("https://sts.amazonaws.com/?")
    assert review(webhook, token)["authenticated"] is True


@pytest.mark.parametrize("variant", [
    {"region": "eu-west-1"},  # any region of the partition, as the authenticator resolves it
    {"fips": True},
    {"dual_stack": True},
    {"fips": True, "dual_stack": True},
])
def test_sts_hosts_of_the_partition_accepted(webhook, variant):
    token = mint(assume(webhook, "viewer"), **variant)
    status = review(webhook, token)
    assert status["authenticated"] is True, (decode(token).split("?")[0], status)


def test_aws_cli_get_token(webhook):
    creds = assume(webhook, "operator")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=creds["AccessKeyId"], AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
               AWS_SESSION_TOKEN=creds["SessionToken"], AWS_CONFIG_FILE=os.devnull,
               AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    out = subprocess.run(["aws", "eks", "get-token", "--cluster-name", CLUSTER, "--region", REGION],
                         env=env, capture_output=True, text=True, timeout=60, check=True)
    token = json.loads(out.stdout)["status"]["token"]
    MINTED.append(token)
    status = review(webhook, token)
    assert status["authenticated"] is True, status
    assert status["user"]["username"] == f"agent:operator:{SESSION}"


# --------------------------------------------------------------------------
# authentication: refusals, each with its reason
# --------------------------------------------------------------------------


def _with_query(token: str, extra: str) -> str:
    return encode(decode(token) + extra)


def _replace_signature(token: str) -> str:
    url = decode(token)
    sig = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["X-Amz-Signature"][0]
    forged = ("0" if sig[0] != "0" else "1") + sig[1:]
    return encode(url.replace(sig, forged))


def _replace_param(token: str, name: str, value: str) -> str:
    parts = urllib.parse.urlsplit(decode(token))
    query = [(k, value if k == name else v) for k, v in urllib.parse.parse_qsl(parts.query)]
    return encode(parts._replace(query=urllib.parse.urlencode(query, quote_via=urllib.parse.quote)).geturl())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


REFUSALS = {
    "bad prefix": (lambda c: "k8s-aws-v2." + mint(c)[len("k8s-aws-v1."):], "missing expected 'k8s-aws-v1.' prefix"),
    "padded base64": (lambda c: mint(c) + "==", "illegal base64 data"),
    "too large": (lambda c: "k8s-aws-v1." + "A" * 4090, "token is too large"),
    "wrong host": (lambda c: mint(c, endpoint="https://sts.evil.example.com"), "unexpected hostname"),
    "other partition's host": (lambda c: mint(c, region="cn-north-1"),
                               "partition {aws} does not support hostname sts.cn-north-1.amazonaws.com.cn"),
    "host with a port": (lambda c: encode(decode(mint(c)).replace("amazonaws.com/", "amazonaws.com:443/", 1)),
                         "unexpected hostname 'sts.us-west-2.amazonaws.com:443'"),
    "http scheme": (lambda c: encode(decode(mint(c)).replace("https://", "http://", 1)), "unexpected scheme 'http'"),
    "other path": (lambda c: encode(decode(mint(c)).replace(".com/?", ".com/x?", 1)), "unexpected path"),
    "extra query parameter": (lambda c: _with_query(mint(c), "&Foo=bar"), "non-whitelisted query parameter 'Foo'"),
    "duplicate parameter": (lambda c: _with_query(mint(c), "&action=GetCallerIdentity"),
                            "duplicate query parameter found"),
    "wrong Action": (lambda c: mint(c, operation="get_session_token"), "unexpected action parameter"),
    "X-Amz-Expires 901": (lambda c: mint(c, expires=901), "invalid X-Amz-Expires parameter in pre-signed URL: '901'"),
    "expired": (lambda c: mint(c, at=_now() - dt.timedelta(minutes=16)), "X-Amz-Date parameter is expired"),
    "signed in the future": (lambda c: mint(c, at=_now() + dt.timedelta(minutes=10)), "signature not yet current"),
    "x-k8s-aws-id not signed": (lambda c: mint(c, cluster=None), "did not sign the x-k8s-aws-id header"),
    "another cluster": (lambda c: mint(c, cluster="other-cluster"),
                        "not signed for x-k8s-aws-id='test-cluster' (wrong cluster?)"),
    "tampered signature": (lambda c: _replace_signature(mint(c)), "SignatureDoesNotMatch"),
    "tampered date": (lambda c: _replace_param(mint(c, at=_now() - dt.timedelta(minutes=1)), "X-Amz-Date",
                                               _now().strftime("%Y%m%dT%H%M%SZ")), "SignatureDoesNotMatch"),
    "wrong session token": (lambda c: _replace_param(mint(c), "X-Amz-Security-Token", "bogus"),
                            "security token included in the request is invalid"),
    "unknown access key": (lambda c: mint({**c, "AccessKeyId": "ASIAZZZZZZZZZZZZZZZZ"}),
                           "InvalidClientTokenId: unknown access key ASIA…ZZZZ"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refusals(webhook, case):
    make_token, reason = REFUSALS[case]
    status = review(webhook, make_token(assume(webhook, "viewer")))
    assert status["authenticated"] is False
    assert "user" not in status
    assert reason in status["error"], status["error"]
    log = webhook["_log"].read_text()
    assert f"authenticate: refused: {status['error']}" in log


def test_unmapped_role_refused(webhook):
    status = review(webhook, mint(assume(webhook, "unmapped")))
    assert status == {"authenticated": False, "error": f"ARN not mapped: {role_arn('unmapped')}"}


@pytest.fixture(scope="module")
def in_process_sts(tls):
    """moto backends in this process, for cases the server cannot reach in time."""
    webhook_sts.import_moto()
    webhook_sts.seed_iam(webhook_config.parse_config(make_config(tls)))
    sts = webhook_sts.sts_backend(ACCOUNT)

    def assume_direct(role: str, duration: int = 900) -> dict:
        assumed = sts.assume_role(region_name=REGION, role_session_name="s1", role_arn=role, policy=None,
                                  duration=duration, external_id=None)
        return {"AccessKeyId": assumed.access_key_id, "SecretAccessKey": assumed.secret_access_key,
                "SessionToken": assumed.session_token}

    return assume_direct


def test_expired_temporary_credentials_refused(in_process_sts):
    creds = in_process_sts(role_arn("viewer"), duration=900)
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=20)  # key expired, token fresh
    verifier = tokens.Verifier(CLUSTER, REGION, ACCOUNT, clock=lambda: later.replace(tzinfo=None))
    with pytest.raises(tokens.TokenRejected, match="ExpiredToken"):
        verifier.verify(mint(creds, at=later))
    assert tokens.Verifier(CLUSTER, REGION, ACCOUNT).verify(mint(creds)).canonical_arn == role_arn("viewer")


def test_keys_for_nonexistent_role_refused(in_process_sts):
    # moto hands out keys for any role ARN; real STS would not, so neither do we.
    creds = in_process_sts(role_arn("ghost"))
    with pytest.raises(tokens.TokenRejected, match=f"role {role_arn('ghost')} does not exist"):
        tokens.Verifier(CLUSTER, REGION, ACCOUNT).verify(mint(creds))


# --------------------------------------------------------------------------
# the STS host rule, per partition (aws-iam-authenticator's verifySTSHostnameFormat)
# --------------------------------------------------------------------------

# aws-iam-authenticator's own table, pkg/token/token_test.go (TestSTSEndpoints, then
# TestSTSEndpointResolution) at 81b1daba: (partition, host, accepted, the authenticator's region).
AUTHENTICATOR_HOST_CASES = [
    ("aws", "sts.amazonaws.com", True, ""),
    ("aws-cn", "sts.amazonaws.com", False, ""),
    ("aws-us-gov", "sts.amazonaws.com", False, ""),
    ("aws-iso", "sts.amazonaws.com", False, ""),
    ("aws-iso-b", "sts.amazonaws.com", False, ""),
    ("aws-iso-e", "sts.amazonaws.com", False, ""),
    ("aws-iso-f", "sts.amazonaws.com", False, ""),
    ("aws-not-a-partition", "sts.amazonaws.com", False, ""),
    ("aws-cn", "sts.cn-northwest-1.amazonaws.com.cn", True, ""),
    ("aws-cn", "sts.cn-north-1.amazonaws.com.cn", True, ""),
    ("aws-cn", "sts.us-iso-east-1.c2s.ic.gov", False, ""),
    ("aws-cn", "sts.not-a-region1.amazonaws.com.cn", False, ""),
    ("aws-cn", "sts.not-a-region2.amazonaws.com.cn", True, "not-a-region2"),
    ("aws", "sts.amazonaws.com", True, ""),
    ("aws", "sts-fips.us-west-2.amazonaws.com", True, ""),
    ("aws", "sts-fips.us-east-1.amazonaws.com", True, ""),
    ("aws", "sts.us-east-1.amazonaws.com", True, ""),
    ("aws", "sts.us-east-2.amazonaws.com", True, ""),
    ("aws", "sts.us-west-1.amazonaws.com", True, ""),
    ("aws", "sts.us-west-2.amazonaws.com", True, ""),
    ("aws", "sts.ap-south-1.amazonaws.com", True, ""),
    ("aws", "sts.ap-northeast-1.amazonaws.com", True, ""),
    ("aws", "sts.ap-northeast-2.amazonaws.com", True, ""),
    ("aws", "sts.ap-southeast-1.amazonaws.com", True, ""),
    ("aws", "sts.ap-southeast-2.amazonaws.com", True, ""),
    ("aws", "sts.ca-central-1.amazonaws.com", True, ""),
    ("aws", "sts.eu-central-1.amazonaws.com", True, ""),
    ("aws", "sts.eu-west-1.amazonaws.com", True, ""),
    ("aws", "sts.eu-west-2.amazonaws.com", True, ""),
    ("aws", "sts.eu-west-3.amazonaws.com", True, ""),
    ("aws", "sts.eu-north-1.amazonaws.com", True, ""),
    ("aws", "sts.amazonaws.com.cn", False, ""),
    ("aws", "website.amazonaws.com", False, ""),
    ("aws", "sts.default-region.amazonaws.com", True, "default-region"),
    ("aws-iso", "sts.us-iso-east-1.c2s.ic.gov", True, ""),
    ("aws-iso", "sts.cn-north-1.amazonaws.com.cn", False, ""),
    ("aws-iso-b", "sts.cn-north-1.amazonaws.com.cn", False, ""),
    ("aws-us-gov", "sts.us-gov-east-1.amazonaws.com", True, ""),
    ("aws-not-a-partition", "sts.amazonaws.com", False, ""),
    ("aws", "sts-fips.us-east-1.amazonaws.com", True, ""),
    ("aws-cn", "sts-fips.us-east-1.amazonaws.com", False, ""),
    ("aws-cn", "sts.us-isob-east-1.amazonaws.com.cn", False, ""),
    ("aws-cn", "sts.us-isob-east-1.amazonaws.com.cn", True, "us-isob-east-1"),
    ("aws-iso-b", "sts.us-isob-east-1.amazonaws.com.cn", False, ""),
    ("aws-iso-b", "sts.us-isob-east-1.amazonaws.com.cn", False, "us-isob-east-1"),
    ("aws", "sts.us-west-2.api.aws", True, ""),
    ("aws-cn", "sts.cn-north-1.api.amazonwebservices.com.cn", True, ""),
    ("aws", "sts.cn-north-1.api.amazonwebservices.com.cn", False, ""),
    ("aws", "sts.not-a-region.amazonaws.com", True, ""),
    ("aws", "sts.not-a-region.amazonaws.com", True, "not-a-region"),
    ("aws", "sts.not-a-region.amazonaws.com", True, "us-west-2"),
    ("aws-cn", "sts.not-a-region3.amazonaws.com.cn", False, ""),
    ("aws-cn", "sts.not-a-region4.amazonaws.com.cn", True, "not-a-region4"),
    ("aws-cn", "sts.not-a-region5.amazonaws.com.cn", False, "us-west-2"),
    ("aws-cn", "sts.not-a-region3.amazonaws.com.cn", False, ""),
    ("aws-cn", "sts.not-a-region4.amazonaws.com.cn", True, "not-a-region4"),
    ("aws-cn", "sts.not-a-region5.amazonaws.com.cn", False, "us-west-2"),
    ("aws-cn", "sts.us-west-2.amazonaws.com.cn", False, ""),
    ("aws", "sts.us-west-2.amazonaws.com.cn", False, ""),
    ("aws", "sts.us-west-2.amazonaws.com.cn", False, "us-west-2"),
    ("aws", "sts.not-a-region.amazonaws.com", True, ""),
    ("aws", "sts.not-a-region.amazonaws.com", True, "not-a-region"),
    ("aws", "sts.not-a-region.amazonaws.com", True, "us-west-2"),
    ("aws-cn", "sts.not-a-region.amazonaws.com", False, "not-a-region"),
]


@pytest.mark.parametrize("partition, host, accepted, region", AUTHENTICATOR_HOST_CASES)
def test_sts_host_rule_is_the_authenticators(partition, host, accepted, region):
    if accepted:
        sts_hosts.check_sts_host(host, partition, region)
    else:
        with pytest.raises(sts_hosts.HostRefused):
            sts_hosts.check_sts_host(host, partition, region)


# A region of each partition botocore presigns for, and the hosts the authenticator refuses among
# what botocore picks there (the ISO partitions have no dual-stack domain in its tables).
PARTITION_REGIONS = {
    "aws": ("us-east-1", "eu-west-1"),
    "aws-cn": ("cn-north-1", "cn-northwest-1"),
    "aws-us-gov": ("us-gov-west-1", "us-gov-east-1"),
    "aws-iso": ("us-iso-east-1",),
    "aws-iso-b": ("us-isob-east-1",),
}
ENDPOINT_VARIANTS = {"regional": {}, "fips": {"fips": True}, "dual-stack": {"dual_stack": True},
                     "fips+dual-stack": {"fips": True, "dual_stack": True}}
HOST_OF = {  # what botocore presigns for; pinned so that a change in its endpoint data shows here
    ("us-east-1", "regional"): "sts.us-east-1.amazonaws.com",
    ("us-east-1", "fips"): "sts-fips.us-east-1.amazonaws.com",
    ("us-east-1", "dual-stack"): "sts.us-east-1.api.aws",
    ("cn-north-1", "regional"): "sts.cn-north-1.amazonaws.com.cn",
    ("cn-north-1", "dual-stack"): "sts.cn-north-1.api.amazonwebservices.com.cn",
    ("us-gov-west-1", "fips"): "sts.us-gov-west-1.amazonaws.com",
    ("us-iso-east-1", "regional"): "sts.us-iso-east-1.c2s.ic.gov",
}


def _partition_tokens(in_process_sts) -> list[tuple[str, str, str, str]]:
    creds = in_process_sts(role_arn("viewer"))
    out = []
    for partition, regions in PARTITION_REGIONS.items():
        for region in regions:
            for variant, options in ENDPOINT_VARIANTS.items():
                token = mint(creds, region=region, **options)
                out.append((partition, region, variant, token))
    return out


def test_sts_hosts_per_partition(in_process_sts):
    """Tokens botocore presigns in each partition, end to end through the verifier (signature included):
    accepted by the cluster's own partition (regional, FIPS, dual-stack), refused by the others."""
    tokens_made = _partition_tokens(in_process_sts)
    hosts = {(region, variant): urllib.parse.urlsplit(decode(t)).netloc for _, region, variant, t in tokens_made}
    for key, host in HOST_OF.items():
        assert hosts[key] == host, key
    for cluster_partition, cluster_regions in PARTITION_REGIONS.items():
        verifier = tokens.Verifier(CLUSTER, cluster_regions[0], ACCOUNT)
        assert verifier.partition == cluster_partition
        for partition, region, variant, token in tokens_made:
            host = hosts[(region, variant)]
            same_domain = {partition, cluster_partition} <= {"aws", "aws-us-gov"}  # both amazonaws.com
            iso_dual_stack = partition.startswith("aws-iso") and "dual-stack" in variant
            expected = (partition == cluster_partition or same_domain) and not iso_dual_stack
            if expected:
                ident = verifier.verify(token)
                assert ident.canonical_arn == role_arn("viewer"), (cluster_partition, host)
            else:
                with pytest.raises(tokens.TokenRejected, match="input token was not properly formatted") as err:
                    verifier.verify(token)
                assert host in str(err.value) or "unexpected hostname" in str(err.value), (cluster_partition, host)


def test_global_endpoint_only_in_the_aws_partition(in_process_sts):
    token = mint(in_process_sts(role_arn("viewer")), region="us-east-1", endpoint="https://sts.amazonaws.com")
    assert tokens.Verifier(CLUSTER, "us-east-1", ACCOUNT).verify(token).canonical_arn == role_arn("viewer")
    for region in ("cn-north-1", "us-gov-west-1", "us-iso-east-1"):
        with pytest.raises(tokens.TokenRejected, match="global endpoint unsupported in partition aws-"):
            tokens.Verifier(CLUSTER, region, ACCOUNT).verify(token)


def test_signature_scoped_to_the_hosts_region(in_process_sts):
    # A host of the partition is accepted, but STS there wants the key scoped to that host's region.
    token = mint(in_process_sts(role_arn("viewer")), region="eu-west-1")
    moved = encode(decode(token).replace("sts.eu-west-1.", "sts.eu-central-1.", 1))
    with pytest.raises(tokens.TokenRejected, match="credential should be scoped to region 'eu-central-1'"):
        tokens.Verifier(CLUSTER, "us-east-1", ACCOUNT).verify(moved)


# --------------------------------------------------------------------------
# hosted agent identities: IRSA (AssumeRoleWithWebIdentity) and EKS Pod Identity
# --------------------------------------------------------------------------

SA_SUBJECT = "system:serviceaccount:agents:mcp"


def sa_token(ready: dict, key, *, sub: str = SA_SUBJECT, aud: str = "sts.amazonaws.com", iss: str | None = None,
             lifetime: int = 3600, kid: str | None = None) -> str:
    """A service-account token as kube-apiserver's TokenRequest makes it (RS256, kid = key digest)."""
    from joserfc import jwt
    from joserfc.jwk import RSAKey

    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    now = int(time.time())
    namespace, name = sub.split(":")[2:4] if sub.startswith("system:serviceaccount:") else ("x", "x")
    claims = {"iss": iss or ready["oidcIssuer"], "sub": sub, "aud": [aud], "iat": now, "nbf": now,
              "exp": now + lifetime,
              "kubernetes.io": {"namespace": namespace, "serviceaccount": {"name": name, "uid": "0"}}}
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    token = jwt.encode({"alg": "RS256", "kid": kid or sts_key_id(der)}, claims, RSAKey.import_key(pem))
    SA_TOKENS.append(token)
    return token


def sts_key_id(der: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).decode().rstrip("=")


def unsigned_sts(ready: dict):
    return boto3.client("sts", endpoint_url=ready["motoUrl"], region_name=REGION,
                        config=BotoConfig(signature_version=botocore.UNSIGNED, retries={"max_attempts": 0}))


def web_identity(ready: dict, token: str, role: str = "irsa-host") -> dict:
    return unsigned_sts(ready).assume_role_with_web_identity(
        RoleArn=ready["roles"][role], RoleSessionName="botocore-session", WebIdentityToken=token)["Credentials"]


def test_oidc_issuer_documents_served(webhook, sa_key):
    issuer = webhook["oidcIssuer"]
    assert issuer.startswith(webhook["webhookUrl"] + "/id/")
    discovery = requests.get(issuer + "/.well-known/openid-configuration", verify=webhook["_cert"], timeout=10).json()
    assert discovery["issuer"] == issuer and discovery["id_token_signing_alg_values_supported"] == ["RS256"]
    keys = requests.get(discovery["jwks_uri"], verify=webhook["_cert"], timeout=10).json()["keys"]
    der = sa_key[0].public_key().public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    assert [(k["kty"], k["alg"], k["use"], k["kid"]) for k in keys] == [("RSA", "RS256", "sig", sts_key_id(der))]


def test_irsa_web_identity_then_agent_role(webhook, sa_key):
    host = web_identity(webhook, sa_token(webhook, sa_key[0]))
    who = moto_sts(webhook, host).get_caller_identity()
    assert who["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/irsa-host/botocore-session"
    # The host role is the agent host: the agent role trusts it, and the EKS token maps as usual.
    agent = moto_sts(webhook, host).assume_role(RoleArn=webhook["roles"]["viewer"], RoleSessionName=SESSION)
    status = review(webhook, mint(agent["Credentials"]))
    assert status["authenticated"] is True and status["user"]["groups"] == ["eks-viewers"], status


def test_aws_cli_takes_the_web_identity_path(webhook, sa_key, workdir):
    token_file = workdir / "irsa-token"
    token_file.write_text(sa_token(webhook, sa_key[0]))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    # HOME: the CLI caches web-identity sessions in ~/.aws/cli/cache; a stale one would stand in for ours.
    env.update(HOME=str(workdir), AWS_ROLE_ARN=webhook["roles"]["irsa-host"],
               AWS_WEB_IDENTITY_TOKEN_FILE=str(token_file),
               AWS_ENDPOINT_URL_STS=webhook["motoUrl"], AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE=os.devnull,
               AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true")
    out = subprocess.run(["aws", "sts", "get-caller-identity"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert ":assumed-role/irsa-host/" in json.loads(out.stdout)["Arn"]


def _other_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


WEB_IDENTITY_REFUSALS = {
    "wrong sub": (lambda r, k: (sa_token(r, k, sub="system:serviceaccount:agents:other"), "irsa-host"),
                  "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"),
    "wrong aud": (lambda r, k: (sa_token(r, k, aud="pods.eks.amazonaws.com"), "irsa-host"),
                  "InvalidIdentityToken", "invalid_claim: Invalid claim: 'aud'"),
    "expired": (lambda r, k: (sa_token(r, k, lifetime=-60), "irsa-host"), "ExpiredTokenException", "expired"),
    "signed by another key": (lambda r, k: (sa_token(r, _other_key()), "irsa-host"), "InvalidIdentityToken",
                              "failed verification"),
    "another key under our kid": (lambda r, k: (sa_token(r, _other_key(), kid=r["_kid"]), "irsa-host"),
                                  "InvalidIdentityToken", "bad_signature"),
    "unknown issuer": (lambda r, k: (sa_token(r, k, iss="https://127.0.0.1:1/id/NOPE"), "irsa-host"),
                       "InvalidIdentityToken", "No OpenIDConnect provider found"),
    "not a JWT": (lambda r, k: ("not-a-jwt", "irsa-host"), "InvalidIdentityToken", "not a JWT"),
    "role without a federated trust": (lambda r, k: (sa_token(r, k), "pod-host"), "AccessDenied",
                                       "Not authorized to perform sts:AssumeRoleWithWebIdentity"),
    "role trusting the host user only": (lambda r, k: (sa_token(r, k), "viewer"), "AccessDenied",
                                         "Not authorized"),
}


@pytest.mark.parametrize("case", list(WEB_IDENTITY_REFUSALS))
def test_web_identity_refusals(webhook, sa_key, case):
    der = sa_key[0].public_key().public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    make, code, message = WEB_IDENTITY_REFUSALS[case]
    token, role = make({**webhook, "_kid": sts_key_id(der)}, sa_key[0])
    with pytest.raises(botocore.exceptions.ClientError) as err:
        web_identity(webhook, token, role)
    assert err.value.response["Error"]["Code"] == code, err.value.response
    assert message in err.value.response["Error"]["Message"], err.value.response


def agent_get(ready: dict, token: str | None) -> requests.Response:
    return requests.get(ready["podIdentityAgentUrl"], headers={"Authorization": token} if token is not None else {},
                        timeout=10)


def test_pod_identity_agent_serves_a_moto_session(webhook, sa_key):
    assert webhook["podIdentityAgentUrl"].startswith("http://127.0.0.1:")
    resp = agent_get(webhook, sa_token(webhook, sa_key[0], aud="pods.eks.amazonaws.com"))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == {"AccessKeyId", "SecretAccessKey", "Token", "AccountId", "Expiration"}
    creds = {"AccessKeyId": body["AccessKeyId"], "SecretAccessKey": body["SecretAccessKey"],
             "SessionToken": body["Token"]}
    who = moto_sts(webhook, creds).get_caller_identity()
    assert who["Arn"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/pod-host/eks-{CLUSTER}-mcp-")
    moto_sts(webhook, creds).assume_role(RoleArn=webhook["roles"]["viewer"], RoleSessionName=SESSION)


def test_aws_cli_takes_the_container_credentials_path(webhook, sa_key, workdir):
    token_file = workdir / "pod-identity-token"
    token_file.write_text(sa_token(webhook, sa_key[0], aud="pods.eks.amazonaws.com"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(HOME=str(workdir), AWS_CONTAINER_CREDENTIALS_FULL_URI=webhook["podIdentityAgentUrl"],
               AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=str(token_file), AWS_ENDPOINT_URL_STS=webhook["motoUrl"],
               AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
               AWS_EC2_METADATA_DISABLED="true")
    out = subprocess.run(["aws", "sts", "get-caller-identity"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert ":assumed-role/pod-host/" in json.loads(out.stdout)["Arn"]


POD_IDENTITY_REFUSALS = {
    "no token": (lambda r, k: None, 400, "Authorization header"),
    "not a JWT": (lambda r, k: "garbage", 401, "service-account token was refused"),
    "audience for STS": (lambda r, k: sa_token(r, k), 401, "invalid_claim: Invalid claim: 'aud'"),
    "signed by another key": (lambda r, k: sa_token(r, _other_key(), aud="pods.eks.amazonaws.com"), 401,
                              "service-account token was refused"),
    "expired": (lambda r, k: sa_token(r, k, aud="pods.eks.amazonaws.com", lifetime=-60), 401, "expired"),
    "no association": (lambda r, k: sa_token(r, k, aud="pods.eks.amazonaws.com",
                                             sub="system:serviceaccount:agents:other"), 403,
                       "no Pod Identity association for service account agents/other"),
}


@pytest.mark.parametrize("case", list(POD_IDENTITY_REFUSALS))
def test_pod_identity_refusals(webhook, sa_key, case):
    make, status, message = POD_IDENTITY_REFUSALS[case]
    resp = agent_get(webhook, make(webhook, sa_key[0]))
    assert resp.status_code == status, resp.text
    assert message in resp.json()["message"]
    assert "AccessKeyId" not in resp.text


def test_malformed_review_body(webhook):
    resp = requests.post(f"{webhook['webhookUrl']}/authenticate", data=b"not json", verify=webhook["_cert"],
                         headers={"Content-Type": "application/json"}, timeout=10)
    assert resp.status_code == 400


# --------------------------------------------------------------------------
# authorization (EKS access policies)
# --------------------------------------------------------------------------


def sar(ready: dict, user: dict, *, verb: str = "list", resource: str = "pods", namespace: str = "",
        group: str = "", subresource: str = "", non_resource: str | None = None) -> dict:
    spec = {"user": user["username"], "groups": user.get("groups", []), "uid": user.get("uid", ""),
            "extra": user.get("extra", {})}
    if non_resource is not None:
        spec["nonResourceAttributes"] = {"path": non_resource, "verb": verb}
    else:
        spec["resourceAttributes"] = {"namespace": namespace, "verb": verb, "group": group, "version": "v1",
                                      "resource": resource, "subresource": subresource}
    resp = requests.post(f"{ready['webhookUrl']}/authorize", verify=ready["_cert"], timeout=10, json={
        "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": spec})
    assert resp.status_code == 200
    body = resp.json()
    assert body["apiVersion"] == "authorization.k8s.io/v1" and body["kind"] == "SubjectAccessReview"
    return body["status"]


NO_OPINION = {"allowed": False, "denied": False}


def test_view_policy_is_namespace_scoped_and_excludes_secrets(webhook):
    viewer = authenticated_user(webhook, "viewer")
    granted = sar(webhook, viewer, verb="list", resource="pods", namespace="team-a")
    assert granted["allowed"] is True and "AmazonEKSViewPolicy" in granted["reason"]
    assert sar(webhook, viewer, verb="get", resource="deployments", group="apps", namespace="team-a")["allowed"]
    assert sar(webhook, viewer, verb="list", resource="pods", namespace="team-b") == NO_OPINION
    assert sar(webhook, viewer, verb="list", resource="pods") == NO_OPINION  # all namespaces
    for verb in ("get", "list", "watch"):
        assert sar(webhook, viewer, verb=verb, resource="secrets", namespace="team-a") == NO_OPINION
    assert sar(webhook, viewer, verb="delete", resource="pods", namespace="team-a") == NO_OPINION
    assert sar(webhook, viewer, verb="create", resource="pods", subresource="exec", namespace="team-a") == NO_OPINION
    assert sar(webhook, viewer, verb="get", non_resource="/healthz") == NO_OPINION
    assert "authorize: user=" in webhook["_log"].read_text(), "--verbose logs authorization decisions"


def test_edit_and_admin_policies(webhook):
    operator = authenticated_user(webhook, "operator")
    assert sar(webhook, operator, verb="delete", resource="pods", namespace="anything")["allowed"] is True
    assert sar(webhook, operator, verb="create", resource="pods", subresource="exec", namespace="x")["allowed"]
    assert sar(webhook, operator, verb="patch", resource="deployments", subresource="scale", group="apps",
               namespace="x")["allowed"]
    assert sar(webhook, operator, verb="get", resource="secrets", namespace="x")["allowed"]
    # Edit has no RBAC objects; the namespace-scoped Admin policy adds them in ops-* only.
    assert sar(webhook, operator, verb="create", resource="roles", group="rbac.authorization.k8s.io",
               namespace="x") == NO_OPINION
    assert sar(webhook, operator, verb="create", resource="roles", group="rbac.authorization.k8s.io",
               namespace="ops-1")["allowed"] is True
    assert sar(webhook, operator, verb="list", resource="nodes") == NO_OPINION


def test_cluster_admin_policy(webhook):
    admin = authenticated_user(webhook, "admin")
    assert admin["username"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/admin/alice-example.com"
    assert sar(webhook, admin, verb="delete", resource="nodes")["allowed"] is True
    assert sar(webhook, admin, verb="get", non_resource="/metrics")["allowed"] is True


def test_unknown_and_unentitled_users_get_no_opinion(webhook):
    assert sar(webhook, {"username": "mallory"}, namespace="team-a") == NO_OPINION
    # aws-auth mappings carry no access policies
    assert sar(webhook, authenticated_user(webhook, "editor"), namespace="team-a") == NO_OPINION
    # the right extras under another username do not borrow the entry's policies
    viewer = authenticated_user(webhook, "viewer")
    assert sar(webhook, {**viewer, "username": "someone-else"}, namespace="team-a") == NO_OPINION
    # impersonated extras arrive with lowercased keys: no access-policy permissions (as on EKS)
    lowered = {k.lower(): v for k, v in viewer["extra"].items()}
    assert sar(webhook, {**viewer, "extra": lowered}, namespace="team-a") == NO_OPINION


# --------------------------------------------------------------------------
# the EKS API's access entries: the same mappings the authorizer and the authenticator use
# --------------------------------------------------------------------------

VIEW_ARN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
EDIT_ARN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"


def moto_eks(ready: dict, creds: dict):
    return boto3.client("eks", endpoint_url=ready["motoUrl"], region_name=REGION,
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds.get("SessionToken"), config=BotoConfig(retries={"max_attempts": 0}))


def associated(ready: dict, role: str, principal: str) -> list[tuple[str, dict]]:
    listed = moto_eks(ready, assume(ready, role)).list_associated_access_policies(clusterName=CLUSTER,
                                                                                 principalArn=principal)
    assert listed["clusterName"] == CLUSTER and listed["principalArn"] == principal
    return [(p["policyArn"], p["accessScope"]) for p in listed["associatedAccessPolicies"]]


def test_associated_access_policies_are_the_authorizers(webhook):
    assert associated(webhook, "viewer", role_arn("viewer")) == [(VIEW_ARN, {"type": "namespace",
                                                                              "namespaces": ["team-a"]})]
    platform = moto_eks(webhook, assume(webhook, "admin"))
    viewer = authenticated_user(webhook, "viewer")
    assert sar(webhook, viewer, verb="delete", namespace="team-b") == NO_OPINION
    platform.associate_access_policy(clusterName=CLUSTER, principalArn=role_arn("viewer"), policyArn=EDIT_ARN,
                                     accessScope={"type": "namespace", "namespaces": ["team-b"]})
    try:
        assert (EDIT_ARN, {"type": "namespace", "namespaces": ["team-b"]}) in associated(webhook, "viewer",
                                                                                          role_arn("viewer"))
        assert "AmazonEKSEditPolicy" in sar(webhook, viewer, verb="delete", namespace="team-b")["reason"]
        platform.associate_access_policy(clusterName=CLUSTER, principalArn=role_arn("viewer"), policyArn=EDIT_ARN,
                                         accessScope={"type": "cluster"})
        assert sar(webhook, viewer, verb="delete", namespace="elsewhere")["allowed"], "associated again: a new scope"
    finally:
        platform.disassociate_access_policy(clusterName=CLUSTER, principalArn=role_arn("viewer"), policyArn=EDIT_ARN)
    assert sar(webhook, viewer, verb="delete", namespace="team-b") == NO_OPINION
    assert associated(webhook, "viewer", role_arn("viewer")) == [(VIEW_ARN, {"type": "namespace",
                                                                              "namespaces": ["team-a"]})]


def test_access_entry_groups_and_username_change_what_the_authenticator_says(webhook):
    platform = moto_eks(webhook, assume(webhook, "admin"))
    before = platform.describe_access_entry(clusterName=CLUSTER, principalArn=role_arn("viewer"))["accessEntry"]
    assert before["kubernetesGroups"] == ["eks-viewers"] and before["type"] == "STANDARD"
    platform.update_access_entry(clusterName=CLUSTER, principalArn=role_arn("viewer"),
                                 kubernetesGroups=["auditors"], username="audit:{{SessionName}}")
    try:
        user = authenticated_user(webhook, "viewer")
        assert (user["username"], user["groups"]) == ("audit:alice-example.com", ["auditors"])
        assert sar(webhook, user, namespace="team-a")["allowed"], "the policies stay with the entry"
    finally:
        platform.update_access_entry(clusterName=CLUSTER, principalArn=role_arn("viewer"),
                                     kubernetesGroups=before["kubernetesGroups"], username=before["username"])
    assert authenticated_user(webhook, "viewer")["groups"] == ["eks-viewers"]


@pytest.mark.parametrize("role, principal, error", [
    ("operator", role_arn("operator"), "AccessDeniedException"),  # no eks:ListAssociatedAccessPolicies
    ("viewer", role_arn("editor"), "ResourceNotFoundException"),  # aws-auth only: no access entry
])
def test_access_entry_refusals(webhook, role, principal, error):
    with pytest.raises(botocore.exceptions.ClientError) as err:
        associated(webhook, role, principal)
    assert err.value.response["Error"]["Code"] == error


def test_access_entry_changes_are_validated(webhook):
    platform = moto_eks(webhook, assume(webhook, "admin"))
    for call in (lambda: platform.associate_access_policy(clusterName=CLUSTER, principalArn=role_arn("viewer"),
                                                          policyArn=EDIT_ARN, accessScope={"type": "namespace"}),
                 lambda: platform.update_access_entry(clusterName=CLUSTER, principalArn=role_arn("viewer"),
                                                      username="system:evil")):
        with pytest.raises(botocore.exceptions.ClientError) as err:
            call()
        assert err.value.response["Error"]["Code"] == "InvalidParameterException"
    assert associated(webhook, "viewer", role_arn("viewer")) == [(VIEW_ARN, {"type": "namespace",
                                                                              "namespaces": ["team-a"]})]


# --------------------------------------------------------------------------
# configuration and lifecycle
# --------------------------------------------------------------------------


@pytest.mark.parametrize("patch, field", [
    (lambda c: c.pop("clusterName"), "clusterName: required field is missing"),
    (lambda c: c.update(region="mars-1"), "region:"),
    (lambda c: c.update(motoPort="80"), "motoPort: must be a int"),
    (lambda c: c["roles"][0].pop("trustsHostUser"), "roles[0].trustsHostUser"),
    (lambda c: c["accessEntries"][0].update(username="system:x"), "accessEntries[0].username"),
    (lambda c: c["accessEntries"][1].update(username="agent-{{SessionName}}"), "accessEntries[1].username"),
    (lambda c: c["accessEntries"][0]["accessPolicies"][0].update(policy="Nope"),
     "accessEntries[0].accessPolicies[0].policy"),
    (lambda c: c["accessEntries"][0].update(principalArn="arn:aws:iam::000000000000:role/x"),
     "accessEntries[0].principalArn"),
    (lambda c: c["awsAuth"]["mapRoles"][0].update(username="{{Nope}}"), "awsAuth.mapRoles[0].username"),
    (lambda c: c.update(typo=1), "typo: unknown field"),
    (lambda c: c.update(hostRoles=[{"name": "h", "via": "irsa", "serviceAccount": "a/b"}]),
     "hostRoles: needs serviceAccountIssuer"),
    (lambda c: c.update(hostRoles=[{"name": "h", "via": "oidc", "serviceAccount": "a/b"}]), "hostRoles[0].via"),
    (lambda c: c.update(hostRoles=[{"name": "viewer", "via": "irsa", "serviceAccount": "a/b"}]),
     "hostRoles[0].name: duplicate"),
    (lambda c: c.update(hostRoles=[{"name": "h", "via": "irsa", "serviceAccount": "a"}]),
     "hostRoles[0].serviceAccount"),
    (lambda c: c["roles"][0].update(policies=[{"name": "p"}]),
     "roles[0].policies[0].document: required field is missing"),
    (lambda c: c["roles"][0].update(permissionsBoundary={"name": "b", "document": {}}),
     "roles[0].permissionsBoundary.document: an IAM policy needs a Statement"),
    (lambda c: c["roles"][0].update(sessionNames=[""]), "roles[0].sessionNames[0]"),
    (lambda c: c.update(hostUserPolicies=[{"name": "has space", "document": {"Statement": []}}]),
     "hostUserPolicies[0].name: not a valid IAM policy name"),
])
def test_config_errors_name_the_field(tls, patch, field):
    config = make_config(tls)
    patch(config)
    with pytest.raises(webhook_config.ConfigError) as err:
        webhook_config.parse_config(config)
    assert field in str(err.value)


def test_config_error_exits_2(workdir, tls):
    config = make_config(tls)
    config["tls"] = {"cert": str(workdir / "missing.crt"), "key": tls["key"]}
    path = workdir / "bad.json"
    path.write_text(json.dumps(config))
    out = subprocess.run([sys.executable, "-m", "eks_webhook", "--config", str(path),
                          "--state-dir", str(workdir / "bad")], cwd=HERE, capture_output=True, text=True, timeout=30)
    assert out.returncode == 2
    assert "config error: tls.cert: file not found" in out.stderr


def test_exits_when_stdin_closes(workdir, tls):
    proc, ready, _ = start_webhook(workdir, make_config(tls), "stdin", "--exit-on-stdin-eof")
    assert ready["pid"] == proc.pid
    proc.stdin.close()
    assert proc.wait(timeout=10) == 0
    assert not (workdir / "stdin-state" / "ready.json").exists()
