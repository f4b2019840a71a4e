"""The webhook HTTP server (TokenReview and SubjectAccessReview) and the process lifecycle."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import ssl
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from typing import Any, Callable

from . import __doc__ as PACKAGE_DOC
from .access_entries import AccessEntries, serve_access_entries
from .access_policies import authorize
from .config import CONFIG_HELP, Config, ConfigError, load_config
from .identity import NotMapped, user_info
from .json_http import JsonRequestHandler
from .pod_identity import CREDENTIALS_PATH, AgentServer, make_agent_server
from .service_accounts import DISCOVERY_PATH, JWKS_PATH, Issuer, issuer_path
from .sts import SeededIam, import_moto, seed_iam, start_moto
from .tokens import TokenRejected, Verifier, format_error
from .web_identity import serve_assume_role_with_web_identity

LOG = logging.getLogger("eks-webhook")


MAX_BODY = 1 << 20


@dataclass
class App:
    cfg: Config
    verifier: Verifier
    # The cluster's OIDC issuer (its URL is known once the server has its port), or None.
    issuer: Issuer | None = None
    issuer_url: str = ""

    def issuer_document(self, path: str) -> dict[str, Any] | None:
        if self.issuer is None or not path.startswith(issuer_path(self.cfg.cluster_name)):
            return None
        rest = path[len(issuer_path(self.cfg.cluster_name)):]
        if rest == DISCOVERY_PATH:
            return self.issuer.discovery(self.issuer_url)
        return self.issuer.jwks() if rest == JWKS_PATH else None

    def token_review(self, review: dict[str, Any]) -> dict[str, Any]:
        api_version = _echo_version(review, "authentication.k8s.io")
        token = ((review.get("spec") or {}).get("token")) or ""
        try:
            if not isinstance(token, str):
                raise format_error("token is not a string")
            ident = self.verifier.verify(token)
            user = user_info(self.cfg, ident)
        except (TokenRejected, NotMapped) as e:
            LOG.warning("authenticate: refused: %s", e)
            status: dict[str, Any] = {"authenticated": False, "error": str(e)}
        else:
            LOG.info("authenticate: %s -> username=%r groups=%r", ident.arn, user["username"], user["groups"])
            status = {"authenticated": True, "user": user}
        return {"apiVersion": api_version, "kind": "TokenReview", "status": status}

    def subject_access_review(self, review: dict[str, Any]) -> dict[str, Any]:
        api_version = _echo_version(review, "authorization.k8s.io")
        spec = review.get("spec") or {}
        allowed, reason = authorize(self.cfg, spec)
        LOG.debug("authorize: user=%r %s -> %s (%s)", spec.get("user"), _describe_sar(spec),
                  "allow" if allowed else "no opinion", reason)
        # Never "denied": EKS access policies only add permissions, so a
        # non-grant is NoOpinion and RBAC's answer stands.
        status = {"allowed": allowed, "reason": reason} if allowed else {"allowed": False, "denied": False}
        return {"apiVersion": api_version, "kind": "SubjectAccessReview", "status": status}


def _echo_version(review: dict[str, Any], group: str) -> str:
    # The apiserver expects the response in the version it sent.
    version = review.get("apiVersion")
    return version if version in (f"{group}/v1", f"{group}/v1beta1") else f"{group}/v1"


def _describe_sar(spec: dict[str, Any]) -> str:
    if spec.get("nonResourceAttributes") is not None:
        nr = spec["nonResourceAttributes"]
        return f"{nr.get('verb')} {nr.get('path')}"
    ra = spec.get("resourceAttributes") or {}
    res = ra.get("resource", "") + (f"/{ra['subresource']}" if ra.get("subresource") else "")
    return f"{ra.get('verb')} {ra.get('group') or 'core'}/{res} ns={ra.get('namespace') or '-'}"


class WebhookHandler(JsonRequestHandler):
    app: App  # set on the subclass built by make_webhook_server

    def do_POST(self) -> None:  # noqa: N802 (http.server naming)
        routes = {"/authenticate": self.app.token_review, "/authorize": self.app.subject_access_review}
        handler = routes.get(urllib.parse.urlsplit(self.path).path)
        if handler is None:
            return self._send(404, {"error": "not found"})
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            return self._send(411, {"error": "Content-Length required"})
        if not 0 < length <= MAX_BODY:
            return self._send(413, {"error": "bad body size"})
        try:
            review = json.loads(self.rfile.read(length))
            if not isinstance(review, dict):
                raise ValueError
        except ValueError:
            LOG.warning("%s: refused: request body is not a JSON object", self.path)
            return self._send(400, {"error": "expected a JSON review object"})
        self._send(200, handler(review))

    def do_GET(self) -> None:  # noqa: N802
        path = urllib.parse.urlsplit(self.path).path
        if path == "/healthz":
            return self._send(200, {"ok": True})
        document = self.app.issuer_document(path)
        if document is not None:
            return self._send(200, document)
        self._send(404, {"error": "not found"})

class TlsServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # TLS handshake failures and dropped connections: one line, no trace.
        LOG.debug("connection from %s failed: %s", client_address[0], sys.exc_info()[1])


def make_webhook_server(app: App, port: int) -> TlsServer:
    handler = type("BoundWebhookHandler", (WebhookHandler,), {"app": app})
    server = TlsServer(("127.0.0.1", port), handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(app.cfg.tls_cert, app.cfg.tls_key)
    # Handshake lazily in the per-connection thread, so one stalled client
    # cannot block accept() for everybody.
    server.socket = ctx.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    return server


# --------------------------------------------------------------------------
# Process lifecycle
# --------------------------------------------------------------------------


def write_ready(state_dir: str, payload: dict[str, Any]) -> str:
    path = os.path.join(state_dir, "ready.json")
    fd, tmp = tempfile.mkstemp(prefix=".ready.", dir=state_dir)
    try:
        # 0600: the file holds the (test-only) host user's secret key.
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(payload, f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path


def watch_stdin(stop: threading.Event) -> None:
    def run() -> None:
        try:
            while sys.stdin.buffer.read1(4096):
                pass
        except (AttributeError, OSError, ValueError):
            pass  # no usable stdin counts as closed
        LOG.info("stdin closed; exiting")
        stop.set()

    threading.Thread(target=run, name="stdin-watch", daemon=True).start()


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python3 -m eks_webhook", description=PACKAGE_DOC.split("\n\n")[0],
                                epilog=CONFIG_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", required=True, help="JSON configuration file")
    p.add_argument("--state-dir", required=True, help="directory for ready.json")
    p.add_argument("--verbose", action="store_true", help="log authorization decisions and HTTP requests")
    p.add_argument("--exit-on-stdin-eof", action="store_true", help="exit when standard input closes")
    return p.parse_args(argv)


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG if verbose else logging.INFO,
                        format="eks-webhook %(levelname)s %(message)s")
    # moto's werkzeug server logs every request; keep that for --verbose.
    logging.getLogger("werkzeug").setLevel(logging.INFO if verbose else logging.WARNING)
    for noisy in ("botocore", "moto", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def ready_payload(cfg: Config, seeded: SeededIam, moto_port: int, webhook_port: int, issuer_url: str,
                  agent: AgentServer | None) -> dict[str, Any]:
    return {
        # The cluster's OIDC issuer (kube-apiserver's --service-account-issuer) and the Pod Identity
        # agent's AWS_CONTAINER_CREDENTIALS_FULL_URI, when configured.
        "oidcIssuer": issuer_url or None,
        "podIdentityAgentUrl": f"http://127.0.0.1:{agent.server_address[1]}{CREDENTIALS_PATH}" if agent else None,
        "pid": os.getpid(),
        "motoUrl": f"http://127.0.0.1:{moto_port}",
        "webhookUrl": f"https://127.0.0.1:{webhook_port}",
        "accountId": cfg.account_id,
        "region": cfg.region,
        "clusterName": cfg.cluster_name,
        "hostUser": {"name": cfg.host_user, "arn": seeded.user_arn,
                     "accessKeyId": seeded.access_key_id, "secretAccessKey": seeded.secret_access_key},
        "roles": seeded.role_arns,
    }


def stop_all(*stoppers: Callable[[], None]) -> None:
    # Each server's shutdown waits out its poll interval; run them side by side.
    threads = [threading.Thread(target=f) for f in stoppers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=5)


def install_stop_triggers(exit_on_stdin_eof: bool) -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if exit_on_stdin_eof:
        watch_stdin(stop)
    return stop


def main(argv: list[str] | None = None) -> int:
    started = time.monotonic()
    args = parse_args(sys.argv[1:] if argv is None else argv)
    setup_logging(args.verbose)
    try:
        cfg = load_config(args.config)
    except ConfigError as e:
        print(f"eks_webhook: config error: {e}", file=sys.stderr)
        return 2
    os.makedirs(args.state_dir, exist_ok=True)
    ready_path = os.path.join(args.state_dir, "ready.json")
    if os.path.exists(ready_path):
        os.unlink(ready_path)  # a stale file must not look like readiness
    stop = install_stop_triggers(args.exit_on_stdin_eof)

    import_moto()
    serve_assume_role_with_web_identity(tls_anchor=cfg.tls_cert)
    app = App(cfg, Verifier(cfg.cluster_name, cfg.region, cfg.account_id),
              Issuer(cfg.service_account_key) if cfg.service_account_key else None)
    try:
        webhook = make_webhook_server(app, cfg.webhook_port)
    except (OSError, ssl.SSLError) as e:
        LOG.error("cannot start the webhook server (webhookPort %d, tls): %s", cfg.webhook_port, e)
        return 1
    serve_access_entries(AccessEntries(app))
    if app.issuer:
        app.issuer_url = f"https://127.0.0.1:{webhook.server_address[1]}{issuer_path(cfg.cluster_name)}"
    seeded = seed_iam(cfg, app.issuer_url or None)
    agent = None
    if any(r.via == "podIdentity" for r in cfg.host_roles):
        agent = make_agent_server(cfg, app.issuer_url, cfg.tls_cert)
        threading.Thread(target=agent.serve_forever, name="pod-identity-agent", daemon=True).start()
    try:
        moto = start_moto(cfg.moto_port)
    except OSError as e:
        LOG.error("cannot start moto (motoPort %d): %s", cfg.moto_port, e)
        return 1
    threading.Thread(target=webhook.serve_forever, name="webhook", daemon=True).start()
    moto_port, webhook_port = moto.get_host_and_port()[1], webhook.server_address[1]
    if not stop.is_set():
        write_ready(args.state_dir, ready_payload(cfg, seeded, moto_port, webhook_port, app.issuer_url, agent))
        LOG.info("ready in %.2fs: moto http://127.0.0.1:%d, webhook https://127.0.0.1:%d",
                 time.monotonic() - started, moto_port, webhook_port)

    while not stop.wait(0.2):
        pass
    LOG.info("shutting down")
    stop_all(webhook.shutdown, moto.stop, *([agent.shutdown] if agent else []))
    if os.path.exists(ready_path):
        os.unlink(ready_path)
    return 0

