// `npm test [-- <files or directories>]`: every node test file, or those given. Unit tests (test/unit) need nothing
// else, so a run of them alone (`npm run test:unit`) builds and starts nothing. Any other file needs the built server
// and the local control plane: one is started for the run (its binaries built on first use) and stopped after it. A
// run of everything also runs the webhook's pytest suite against it.
import './node24.ts';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { buildBinaries, startCluster } from '../test/cluster/cluster.ts';

const UNIT_DIR = resolve('test', 'unit');

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'cluster' ? [] : testFiles(path);
    return entry.endsWith('.test.ts') ? [path] : [];
  }).sort();
}

const isUnit = (file: string) => !relative(UNIT_DIR, resolve(file)).startsWith(`..${sep}`);

/** Passed and failed, over the run (pytest and node's runner). */
const totals = { passed: 0, failed: 0 };
function count(pass: string | undefined, fail: string | undefined): void {
  totals.passed += Number(pass ?? 0);
  totals.failed += Number(fail ?? 0);
}

/** node's test runner over the files, its summary read from a TAP copy of its report; true when it passed. */
function runNodeTests(files: string[], env: NodeJS.ProcessEnv, dir: string): boolean {
  const tap = join(dir, 'node-tests.tap');
  const node = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...files], { stdio: 'inherit', env });
  const summary = readFileSync(tap, 'utf8');
  count(/^# pass (\d+)$/m.exec(summary)?.[1], /^# fail (\d+)$/m.exec(summary)?.[1]);
  return node.status === 0;
}

/** The webhook's own tests, against the running control plane; true when they passed. */
function runWebhookTests(env: NodeJS.ProcessEnv): boolean {
  const py = spawnSync('python3', ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'test/cluster/test_eks_webhook.py'], { stdio: ['ignore', 'pipe', 'inherit'], env, encoding: 'utf8' });
  process.stdout.write(py.stdout);
  count(/(\d+) passed/.exec(py.stdout)?.[1], /(\d+) failed/.exec(py.stdout)?.[1]);
  return py.status === 0;
}

/** The files on the built server and a control plane started for them; true when every test passed. */
async function runOnControlPlane(files: string[], everything: boolean): Promise<boolean> {
  execFileSync('node', ['scripts/build.mjs'], { stdio: 'inherit' });
  // The chart's tests need Helm: built here (first run only), before the control plane, so that its progress shows
  // as the control plane's does, live on a terminal.
  if (files.some((file) => file.endsWith('chart.test.ts'))) buildBinaries('helm');
  const cluster = await startCluster();
  try {
    const info = join(cluster.dir, 'cluster.json');
    writeFileSync(info, JSON.stringify({ ...cluster, stop: undefined }));
    const env = { ...process.env, EKS_MCP_TEST_CLUSTER: info };
    const webhook = everything ? runWebhookTests(env) : true;
    return runNodeTests(files, env, cluster.dir) && webhook;
  } finally {
    await cluster.stop();
  }
}

const given = process.argv.slice(2);
const files = given.length ? given.flatMap((path) => (statSync(path).isDirectory() ? testFiles(path) : [path])) : testFiles('test');
let passed: boolean;
if (files.every(isUnit)) {
  const dir = mkdtempSync(join(tmpdir(), 'eks-mcp-unit-'));
  try {
    passed = runNodeTests(files, process.env, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  passed = await runOnControlPlane(files, given.length === 0);
}
// One closing line for the whole run, in the plain form CI reads.
process.stdout.write(`\ntests: ${totals.passed} passed, ${totals.failed} failed\n`);
process.exitCode = passed && totals.failed === 0 && totals.passed > 0 ? 0 : 1;
