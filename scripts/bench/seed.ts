// The benchmark's namespace: a Role every party holds (get/list pods, get pods/log), the built-in `edit` role for
// the tools/list comparison, and the pods of each list size on the kwok nodes (kept when they exist).
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { kubectl } from '../../test/cluster/cluster.ts';
import { NS, SETS, USERS, say, sleep, type Bench } from './context.ts';

const readers = [USERS.ours, USERS.peer, USERS.floor];
const subject = (u: string) => `- {apiGroup: rbac.authorization.k8s.io, kind: User, name: "${u}"}`;

/** A namespace where the readers hold the bench's reader Role (get/list pods, get/list pods/log) and the editor `edit`. */
export function benchRbac(namespace: string, readers: readonly string[]): string {
  return `apiVersion: v1
kind: Namespace
metadata: {name: ${namespace}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: bench-reader, namespace: ${namespace}}
rules:
- apiGroups: [""]
  resources: ["pods", "pods/log"]
  verbs: ["get", "list"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bench-reader, namespace: ${namespace}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: bench-reader}
subjects:
${readers.map(subject).join('\n')}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bench-editor, namespace: ${namespace}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects:
${subject(USERS.editor)}
`;
}

export function adminRequest(bench: Bench, method: string, path: string, body?: unknown, agent?: HttpsAgent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = httpsRequest(new URL(path, bench.cluster.endpoint), {
      method, ca: bench.ca, agent,
      headers: { authorization: `Bearer ${bench.cluster.adminToken}`, accept: 'application/json', ...(data ? { 'content-type': 'application/json' } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

export async function seed(bench: Bench): Promise<void> {
  kubectl(bench.cluster, ['apply', '--server-side', '-f', '-'], { input: benchRbac(NS, readers) });
  const agent = new HttpsAgent({ keepAlive: true, maxSockets: 16 });
  const pods = Object.entries(SETS).flatMap(([set, n]) => Array.from({ length: n }, (_, i) => ({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: `${set}-${i}`, namespace: NS, labels: { 'bench-set': set, app: 'bench' } },
    spec: { nodeName: `kwok-node-${i % 2}`, automountServiceAccountToken: false, containers: [{ name: 'app', image: 'registry.example/app:1.0' }] },
  })));
  const started = Date.now();
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < pods.length) {
      const pod = pods[next++]!;
      const res = await adminRequest(bench, 'POST', `/api/v1/namespaces/${NS}/pods`, pod, agent);
      if (res.status !== 201 && res.status !== 409) throw new Error(`creating pod ${pod.metadata.name}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
    }
  }));
  for (const [set, n] of Object.entries(SETS)) {
    const deadline = Date.now() + 180_000;
    for (;;) {
      const res = await adminRequest(bench, 'GET', `/api/v1/namespaces/${NS}/pods?labelSelector=bench-set%3D${set}`, undefined, agent);
      const items = (JSON.parse(res.body) as { items: Array<{ status?: { phase?: string; containerStatuses?: Array<{ ready?: boolean }> } }> }).items;
      const running = items.filter((p) => p.status?.phase === 'Running' && p.status.containerStatuses?.every((c) => c.ready)).length;
      if (items.length !== n) throw new Error(`set ${set} has ${items.length} pods, expected ${n} (another run's leftovers?)`);
      if (running === n) break;
      if (Date.now() > deadline) throw new Error(`only ${running} of ${n} pods of ${set} became Running`);
      await sleep(1000);
    }
  }
  agent.destroy();
  say(`${pods.length} pods running in namespace ${NS} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
