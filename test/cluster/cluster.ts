// The local EKS-shaped control plane: real etcd, kube-apiserver, kube-controller-manager and kwok, with
// moto as STS and EKS's token authenticator and access-policy authorizer as webhooks (the eks_webhook package).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createPki } from './pki.ts';
import { ProcessGroup, tail } from './processes.ts';
import { waitFor } from '../wait.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const fixturesDir = join(here, 'fixtures');
const iamFixture = JSON.parse(readFileSync(join(fixturesDir, 'iam.json'), 'utf8')) as {
  clusterName: string;
  region: string;
};

/** Everything a test or a person needs to reach the running control plane. Serializable. */
export interface ClusterInfo {
  dir: string;
  endpoint: string;
  caFile: string;
  adminToken: string;
  adminKubeconfig: string;
  /** The API server's audit log (JSON lines): what really reached it, independent of our own logs. */
  auditLog: string;
  clusterName: string;
  region: string;
  sts: {
    url: string;
    accountId: string;
    hostUser: { arn: string; accessKeyId: string; secretAccessKey: string };
    roles: Record<string, string>;
  };
  /** An agent host running as a pod: the cluster's OIDC issuer (IRSA) and the Pod Identity agent's credentials URL. */
  hosted: { oidcIssuer: string; podIdentityAgentUrl: string };
  pid: number;
}

export interface Cluster extends ClusterInfo {
  stop(): Promise<void>;
  /** The control plane's processes, so that a test can prove none survives stop(). */
  pids(): number[];
  /** Kills kube-apiserver (SIGKILL) and starts it again on the same port; resolves when it is ready. */
  restartApiServer(): Promise<void>;
}

interface WebhookReady {
  pid: number;
  motoUrl: string;
  webhookUrl: string;
  oidcIssuer: string;
  podIdentityAgentUrl: string;
  accountId: string;
  hostUser: { arn: string; accessKeyId: string; secretAccessKey: string };
  roles: Record<string, string>;
}

/** Builds (or reuses, from the cache) a component with build.sh, its progress on stderr; returns its directory. */
export function buildBinaries(what: 'control-plane' | 'metrics-server' | 'helm' = 'control-plane'): string {
  try {
    return execFileSync('bash', [join(here, 'build.sh'), what], { stdio: ['ignore', 'pipe', 'inherit'] }).toString().trim();
  } catch {
    throw new Error(`building ${what} failed (see the build output above)`);
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function kubeconfig(server: string, caFile: string, user: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'local', cluster: { server, 'certificate-authority': caFile } }],
    users: [{ name: 'user', user }],
    contexts: [{ name: 'local', context: { cluster: 'local', user: 'user' } }],
    'current-context': 'local',
  }, null, 2);
}

/** A process still starting refuses connections: errors are "not yet", the last one reported at the deadline. */
const untilStarted = <T>(what: string, attempt: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> =>
  waitFor(what, attempt, timeoutMs, { everyMs: 150, retryErrors: true });

/** A GET to the API server as the harness's admin; resolves with status and parsed body. */
export function adminGet(info: Pick<ClusterInfo, 'endpoint' | 'caFile' | 'adminToken'>, path: string, accept = 'application/json'): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, info.endpoint), {
      ca: readFileSync(info.caFile),
      headers: { authorization: `Bearer ${info.adminToken}`, accept },
      timeout: 5000,
    }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (data += chunk));
      res.on('end', () => {
        let body: unknown = data;
        try { body = JSON.parse(data); } catch { /* plain text, e.g. /readyz */ }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Runs the machine's kubectl against the cluster; as the admin unless a kubeconfig is given. */
export function kubectl(info: Pick<ClusterInfo, 'adminKubeconfig'>, args: string[], options: { kubeconfig?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): string {
  try {
    return execFileSync('kubectl', ['--kubeconfig', options.kubeconfig ?? info.adminKubeconfig, ...args], {
      input: options.input,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 60_000,
    }).toString();
  } catch (error) {
    const e = error as { status?: number; stdout?: Buffer; stderr?: Buffer };
    throw Object.assign(new Error(`kubectl ${args.join(' ')} exited ${e.status}: ${e.stderr?.toString().trim()}`), {
      status: e.status, stdout: e.stdout?.toString() ?? '', stderr: e.stderr?.toString() ?? '',
    });
  }
}

/** Container logs in the CRI format kwok serves (timestamp, stream, tag, message), as a kubelet would. */
export function logLine(i: number, text: string): string {
  return `${new Date(Date.parse('2026-11-01T00:00:00Z') + i * 1000).toISOString()} stdout F ${text}`;
}

export const LOG_LINES = 1000;

function writeLogFixtures(dir: string): { current: string; previous: string } {
  const request = (i: number) => `${i % 50 === 0 ? 'WARN' : 'INFO'} request id=${i} path=/api/items status=${i % 50 === 0 ? 503 : 200}`;
  const current = join(dir, 'container.log');
  const previous = join(dir, 'container-previous.log');
  writeFileSync(current, Array.from({ length: LOG_LINES }, (_, i) => logLine(i + 1, request(i + 1))).join('\n') + '\n');
  writeFileSync(previous, [logLine(1, 'INFO starting'), logLine(2, 'FATAL out of memory')].join('\n') + '\n');
  return { current, previous };
}

/**
 * The metrics.k8s.io APIService, served by the local metrics-server. Endpoints may not be loopback addresses, so
 * the Service is an ExternalName for localhost, which the aggregator dials at the APIService's port (verifying the
 * serving certificate for metrics-server.kube-system.svc against the caBundle, as in a cluster).
 */
function metricsApiService(port: number, ca: Buffer): string {
  return `apiVersion: v1
kind: Service
metadata: {name: metrics-server, namespace: kube-system}
spec: {type: ExternalName, externalName: localhost}
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.metrics.k8s.io}
spec:
  group: metrics.k8s.io
  version: v1beta1
  service: {name: metrics-server, namespace: kube-system, port: ${port}}
  caBundle: ${ca.toString('base64')}
  groupPriorityMinimum: 100
  versionPriority: 100
`;
}

function kwokConfig(dir: string): string {
  const logs = writeLogFixtures(dir);
  const file = join(dir, 'kwok.yaml');
  const stages = readFileSync(join(here, 'kwok-stages.yaml'), 'utf8');
  const metrics = readFileSync(join(here, 'kwok-metrics.yaml'), 'utf8');
  writeFileSync(file, `${stages}
---
${metrics}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata: {name: fixture-logs}
spec:
  logs:
  - logsFile: ${JSON.stringify(logs.current)}
    previousLogsFile: ${JSON.stringify(logs.previous)}
    follow: false
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterExec
metadata: {name: fixture-exec}
spec:
  execs:
  - local:
      workDir: ${JSON.stringify(dir)}
      envs: [{name: POD_SANDBOX, value: kwok}]
`);
  return file;
}

export async function startCluster(options: { dir?: string } = {}): Promise<Cluster> {
  const startedAt = Date.now();
  const bin = buildBinaries();
  const metricsBin = buildBinaries('metrics-server');
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'eks-rbac-mcp-cluster-'));
  mkdirSync(dir, { recursive: true });
  const processes = new ProcessGroup(dir);
  try {
    const pki = createPki(dir);
    const apiserverTls = pki.serving('apiserver');
    const webhookTls = pki.serving('webhook');
    const kwokTls = pki.serving('kwok');
    const metricsTls = pki.serving('metrics-server', ['metrics-server.kube-system.svc']);
    const frontProxy = pki.serving('front-proxy-client'); // the aggregator's client certificate (its CN is checked)
    const [etcdPort, etcdPeerPort, apiPort, kwokPort, metricsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    const adminToken = randomBytes(24).toString('hex');
    const endpoint = `https://127.0.0.1:${apiPort}`;

    // STS and the EKS webhooks first: the API server's webhook configs need their address.
    const webhookConfig = join(dir, 'eks-webhook.json');
    writeFileSync(webhookConfig, JSON.stringify({
      ...JSON.parse(readFileSync(join(fixturesDir, 'iam.json'), 'utf8')),
      tls: webhookTls,
      eksCluster: { endpoint, caFile: pki.caCert }, // what EKS DescribeCluster answers, from moto
      serviceAccountIssuer: { publicKeyFile: pki.serviceAccountPub }, // the key the API server signs them with
    }, null, 2));
    const webhookState = join(dir, 'eks-webhook');
    mkdirSync(webhookState, { recursive: true });
    const webhook = processes.start('eks-webhook', 'python3', ['-m', 'eks_webhook', '--config', webhookConfig,
      '--state-dir', webhookState, '--exit-on-stdin-eof'], { ...process.env, PYTHONPATH: [here, process.env['PYTHONPATH']].filter(Boolean).join(delimiter) });
    const readyFile = join(webhookState, 'ready.json');

    const etcd = processes.start('etcd', join(bin, 'etcd'), [
      '--name', 'default', '--data-dir', join(dir, 'etcd'), '--unsafe-no-fsync',
      '--listen-client-urls', `http://127.0.0.1:${etcdPort}`, '--advertise-client-urls', `http://127.0.0.1:${etcdPort}`,
      '--listen-peer-urls', `http://127.0.0.1:${etcdPeerPort}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${etcdPeerPort}`,
      '--initial-cluster', `default=http://127.0.0.1:${etcdPeerPort}`, '--log-level', 'warn',
    ]);

    const ready = await processes.untilReady(webhook, untilStarted('the EKS webhook (moto STS, authenticator, authorizer)', async () =>
      existsSync(readyFile) ? (JSON.parse(readFileSync(readyFile, 'utf8')) as WebhookReady) : undefined, 30_000));
    const authn = join(dir, 'authn-webhook.kubeconfig');
    const authz = join(dir, 'authz-webhook.kubeconfig');
    writeFileSync(authn, kubeconfig(`${ready.webhookUrl}/authenticate`, pki.caCert, {}));
    writeFileSync(authz, kubeconfig(`${ready.webhookUrl}/authorize`, pki.caCert, {}));
    const auditPolicy = join(dir, 'audit-policy.yaml');
    writeFileSync(auditPolicy, 'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n');
    const tokens = join(dir, 'tokens.csv');
    writeFileSync(tokens, `${adminToken},eks-rbac-mcp-harness,harness,"system:masters"\n`);

    const apiserver = processes.start('kube-apiserver', join(bin, 'kube-apiserver'), [
      '--etcd-servers', `http://127.0.0.1:${etcdPort}`,
      '--bind-address', '127.0.0.1', '--advertise-address', '127.0.0.1', '--secure-port', String(apiPort),
      '--tls-cert-file', apiserverTls.cert, '--tls-private-key-file', apiserverTls.key, '--client-ca-file', pki.caCert,
      '--token-auth-file', tokens,
      '--authentication-token-webhook-config-file', authn, '--authentication-token-webhook-version', 'v1',
      '--authentication-token-webhook-cache-ttl', '10s',
      '--authorization-mode', 'Node,RBAC,Webhook',
      '--authorization-webhook-config-file', authz, '--authorization-webhook-version', 'v1',
      '--authorization-webhook-cache-authorized-ttl', '10s', '--authorization-webhook-cache-unauthorized-ttl', '10s',
      '--service-account-issuer', ready.oidcIssuer, '--service-account-issuer', 'https://kubernetes.default.svc',
      '--service-account-key-file', pki.serviceAccountPub,
      '--service-account-signing-key-file', pki.serviceAccountKey, '--service-cluster-ip-range', '10.96.0.0/16',
      '--kubelet-preferred-address-types', 'InternalIP', '--kubelet-certificate-authority', pki.caCert,
      '--kubelet-client-certificate', apiserverTls.cert, '--kubelet-client-key', apiserverTls.key,
      '--audit-policy-file', auditPolicy, '--audit-log-path', join(dir, 'audit.log'), '--audit-log-format', 'json',
      '--audit-log-mode', 'blocking', '--audit-log-maxsize', '0',
      // The aggregation layer, for metrics-server's metrics.k8s.io.
      '--requestheader-client-ca-file', pki.caCert, '--requestheader-allowed-names', 'front-proxy-client',
      '--requestheader-username-headers', 'X-Remote-User', '--requestheader-group-headers', 'X-Remote-Group',
      '--requestheader-extra-headers-prefix', 'X-Remote-Extra-', '--proxy-client-cert-file', frontProxy.cert,
      '--proxy-client-key-file', frontProxy.key,
      '--profiling=false', '--v', '1',
    ]);
    const info: ClusterInfo = {
      dir, endpoint, caFile: pki.caCert, adminToken, adminKubeconfig: join(dir, 'admin.kubeconfig'), auditLog: join(dir, 'audit.log'),
      clusterName: iamFixture.clusterName, region: iamFixture.region,
      sts: { url: ready.motoUrl, accountId: ready.accountId, hostUser: ready.hostUser, roles: ready.roles },
      hosted: { oidcIssuer: ready.oidcIssuer, podIdentityAgentUrl: ready.podIdentityAgentUrl },
      pid: process.pid,
    };
    writeFileSync(info.adminKubeconfig, kubeconfig(endpoint, pki.caCert, { token: adminToken }));
    await processes.untilReady(apiserver, untilStarted('kube-apiserver /readyz', async () =>
      (await adminGet(info, '/readyz')).status === 200 ? true : undefined, 60_000));
    void etcd;

    processes.start('kube-controller-manager', join(bin, 'kube-controller-manager'), [
      '--kubeconfig', info.adminKubeconfig, '--leader-elect=false', '--secure-port', '0',
      '--service-account-private-key-file', pki.serviceAccountKey, '--root-ca-file', pki.caCert,
      '--controllers', 'deployment-controller,replicaset-controller,job-controller,cronjob-controller,namespace-controller,'
        + 'garbage-collector-controller,serviceaccount-controller,serviceaccount-token-controller,endpointslice-controller,'
        + 'ttl-after-finished-controller,pod-garbage-collector-controller,clusterrole-aggregation-controller,'
        // Writes spec.replicas through /scale as a cluster's autoscaler does: the field another manager owns.
        + 'horizontal-pod-autoscaler-controller',
      '--concurrent-deployment-syncs', '2', '--v', '1',
    ]);
    processes.start('kwok', join(bin, 'kwok'), [
      '--kubeconfig', info.adminKubeconfig, '--config', kwokConfig(dir),
      '--manage-all-nodes=false', '--manage-nodes-with-annotation-selector', 'kwok.x-k8s.io/node=fake',
      '--node-ip', '127.0.0.1', '--node-port', String(kwokPort), '--server-address', `127.0.0.1:${kwokPort}`,
      '--tls-cert-file', kwokTls.cert, '--tls-private-key-file', kwokTls.key, '--cidr', '10.244.0.1/16',
    ]);

    // metrics-server scrapes kwok's emulated usage (kwok-metrics.yaml) at the path each node's annotation names.
    processes.start('metrics-server', join(metricsBin, 'metrics-server'), [
      '--bind-address', '127.0.0.1', '--secure-port', String(metricsPort), '--tls-cert-file', metricsTls.cert, '--tls-private-key-file', metricsTls.key,
      '--kubeconfig', info.adminKubeconfig, '--authentication-kubeconfig', info.adminKubeconfig, '--authorization-kubeconfig', info.adminKubeconfig,
      '--kubelet-preferred-address-types', 'InternalIP', '--kubelet-use-node-status-port', '--kubelet-certificate-authority', pki.caCert,
      '--metric-resolution', '10s', '--kubelet-request-timeout', '5s', '--v', '1',
    ]);
    kubectl(info, ['apply', '--server-side', '-f', '-'], { input: metricsApiService(metricsPort, readFileSync(pki.caCert)) });
    kubectl(info, ['apply', '--server-side', '-f', join(fixturesDir, 'workloads.yaml'), '-f', join(fixturesDir, 'rbac.yaml')]);
    await untilStarted('the fixture pods to run on kwok nodes', async () => {
      const { body } = await adminGet(info, '/api/v1/pods?labelSelector=app');
      const pods = (body.items ?? []) as Array<{ status?: { phase?: string } }>;
      return pods.length >= 4 && pods.every((p) => p.status?.phase === 'Running') ? true : undefined;
    }, 60_000);
    // Served before any test asks: whether metrics.k8s.io is served decides which tools are offered.
    await untilStarted('metrics.k8s.io served by metrics-server', async () =>
      (await adminGet(info, '/apis/metrics.k8s.io/v1beta1')).status === 200 ? true : undefined, 60_000);
    writeFileSync(join(dir, 'cluster.json'), JSON.stringify(info, null, 2));
    process.stderr.write(`control plane ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s at ${endpoint} (${dir})\n`);

    return {
      ...info,
      pids: () => processes.pids(),
      async restartApiServer() {
        const fresh = await processes.restart('kube-apiserver');
        await processes.untilReady(fresh, untilStarted('kube-apiserver /readyz after restart', async () =>
          (await adminGet(info, '/readyz').catch(() => ({ status: 0 }))).status === 200 ? true : undefined, 60_000));
      },
      async stop() {
        await processes.stop();
        if (!options.dir) rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await processes.stop(1000);
    throw error;
  }
}

export { tail };
