"""Fake AWS STS + EKS authentication/authorization webhooks for local tests.

One process plays these parts so that a plain kube-apiserver behaves like an
EKS control plane:

* AWS STS/IAM, served by moto *in this process* (IAM authorization enforced),
  so that clients can AssumeRole and sign tokens with real temporary keys;
* the EKS token authenticator (a TokenReview webhook) applying
  aws-iam-authenticator's rules to `k8s-aws-v1.` tokens, verifying the SigV4
  signature itself with botocore against the keys held in moto's memory —
  the part real EKS delegates to STS GetCallerIdentity;
* the EKS access-policy authorizer (a SubjectAccessReview webhook) granting
  what AmazonEKS*Policy access policies grant, and otherwise NoOpinion;
* EKS's access-entry API (ListAssociatedAccessPolicies, AssociateAccessPolicy,
  DisassociateAccessPolicy, DescribeAccessEntry, UpdateAccessEntry) on moto's
  EKS endpoint, IAM-authorized, over the mappings both webhooks read;
* for an agent host running as a pod: the cluster's OIDC issuer (discovery
  document and JWKS), STS AssumeRoleWithWebIdentity checked as AWS checks it
  (IRSA), and the EKS Pod Identity agent's container-credentials endpoint.

Usage (from test/cluster, or with it on PYTHONPATH):
    python3 -m eks_webhook --config CONFIG.json --state-dir DIR
                           [--verbose] [--exit-on-stdin-eof]

When ready it writes DIR/ready.json (atomically). See CONFIG_HELP in config.py
for the configuration schema (also in --help). Tokens, signatures, session tokens and secret keys
are never logged.
"""
