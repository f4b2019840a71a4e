// `npm test`: builds the server, starts one local control plane for the whole run (building its
// binaries on first use), runs the webhook's pytest suite and every node test file against it, stops it.
import './node24.ts';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildBinaries, startCluster } from '../test/cluster/cluster.ts';

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'cluster' ? [] : testFiles(path);
    return entry.endsWith('.test.ts') ? [path] : [];
  }).sort();
}

execFileSync('node', ['scripts/build.mjs'], { stdio: 'inherit' });
const only = process.argv.slice(2);
const files = only.length ? only : testFiles('test');
// The chart's tests need Helm: built here (first run only), before the control plane, so that its progress shows
// as the control plane's does, live on a terminal.
if (files.some((file) => file.endsWith('chart.test.ts'))) buildBinaries('helm');
let passed = 0;
let failedCount = 0;
function count(pass: string | undefined, fail: string | undefined): void {
  passed += Number(pass ?? 0);
  failedCount += Number(fail ?? 0);
}
const cluster = await startCluster();
let failed = false;
try {
  const info = join(cluster.dir, 'cluster.json');
  writeFileSync(info, JSON.stringify({ ...cluster, stop: undefined }));
  const env = { ...process.env, EKS_MCP_TEST_CLUSTER: info };
  if (only.length === 0) {
    const py = spawnSync('python3', ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'test/cluster/test_eks_webhook.py'], { stdio: ['ignore', 'pipe', 'inherit'], env, encoding: 'utf8' });
    process.stdout.write(py.stdout);
    failed ||= py.status !== 0;
    count(/(\d+) passed/.exec(py.stdout)?.[1], /(\d+) failed/.exec(py.stdout)?.[1]);
  }
  const tap = join(cluster.dir, 'node-tests.tap');
  const node = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...files], { stdio: 'inherit', env });
  failed ||= node.status !== 0;
  const summary = readFileSync(tap, 'utf8');
  count(/^# pass (\d+)$/m.exec(summary)?.[1], /^# fail (\d+)$/m.exec(summary)?.[1]);
} finally {
  await cluster.stop();
}
// One closing line for the whole run (pytest and node's runner), in the plain form CI reads.
process.stdout.write(`\ntests: ${passed} passed, ${failedCount} failed\n`);
process.exitCode = failed || failedCount > 0 || passed === 0 ? 1 : 0;
