// `npm test`: builds the server, starts one local control plane for the whole run (building its
// binaries on first use), runs the webhook's pytest suite and every node test file against it, stops it.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster } from '../test/cluster/cluster.ts';

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'cluster' ? [] : testFiles(path);
    return entry.endsWith('.test.ts') ? [path] : [];
  }).sort();
}

execFileSync('node', ['scripts/build.mjs'], { stdio: 'inherit' });
const only = process.argv.slice(2);
const cluster = await startCluster();
let failed = false;
try {
  const info = join(cluster.dir, 'cluster.json');
  writeFileSync(info, JSON.stringify({ ...cluster, stop: undefined }));
  const env = { ...process.env, EKS_MCP_TEST_CLUSTER: info };
  if (only.length === 0) {
    const py = spawnSync('python3', ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'test/cluster/test_eks_webhook.py'], { stdio: 'inherit', env });
    failed ||= py.status !== 0;
  }
  const files = only.length ? only : testFiles('test');
  const node = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], { stdio: 'inherit', env });
  failed ||= node.status !== 0;
} finally {
  await cluster.stop();
}
process.exitCode = failed ? 1 : 0;
