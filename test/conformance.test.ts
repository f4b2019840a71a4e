// The official MCP conformance suite (@modelcontextprotocol/conformance, pinned), run on this Node (24) against the
// built `serve --http` on the local control plane, for MCP 2026-07-28 and 2025-11-25: every scenario the suite has
// for the revision, pending ones included. The suite itself fails the run on a failure outside the committed baseline
// (test/conformance/<revision>.yaml) and on an entry that passes; this file adds that an entry whose check no longer
// runs fails too, and that every entry says why. Every request goes to 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { eksArgs, hostEnv, root, startHttp, useCluster, type HttpServer } from './helpers.ts';

const cluster = await useCluster();
const REVISIONS = ['2026-07-28', '2025-11-25'] as const;
const suiteDir = join(root, 'node_modules', '@modelcontextprotocol', 'conformance');
const suite = join(suiteDir, (JSON.parse(readFileSync(join(suiteDir, 'package.json'), 'utf8')) as { bin: { conformance: string } }).bin.conformance);
const baselineFile = (revision: string) => join(root, 'test', 'conformance', `${revision}.yaml`);

interface Check { id: string; status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED' }

/** `scenario:check-id` entries of a baseline, as the suite reads them. */
function baseline(revision: string): string[] {
  return ((load(readFileSync(baselineFile(revision), 'utf8')) as { server?: string[] }).server ?? []);
}

/** The checks each scenario reported, from the suite's result directories (`server-<scenario>-<timestamp>`). */
function reported(outDir: string): Map<string, Check[]> {
  const byScenario = new Map<string, Check[]>();
  for (const entry of readdirSync(outDir)) {
    const scenario = /^server-(.+)-\d{4}-\d\d-\d\dT[\d-]+Z$/.exec(entry)?.[1];
    if (scenario) byScenario.set(scenario, JSON.parse(readFileSync(join(outDir, entry, 'checks.json'), 'utf8')) as Check[]);
  }
  return byScenario;
}

let server: HttpServer;
const dir = mkdtempSync(join(tmpdir(), 'eks-rbac-mcp-conformance-'));
before(async () => {
  // The built-in edit ClusterRole in team-a: reads, writes and exec, as a platform team would grant an agent.
  server = await startHttp(eksArgs(cluster, 'eks-mcp-agent', 'editor', 'team-a'), { env: hostEnv(cluster) });
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

for (const revision of REVISIONS) {
  test(`the conformance suite on ${revision}: no failure outside the baseline, and every baselined check still runs and fails`, async () => {
    const outDir = join(dir, revision);
    const args = [suite, 'server', '--url', server.url, '--suite', 'all', '--spec-version', revision, '--expected-failures', baselineFile(revision), '-o', outDir];
    const run = await new Promise<{ code: number | null; output: string }>((resolve) => {
      execFile(process.execPath, args, { cwd: dir, timeout: 300_000, maxBuffer: 64 << 20, env: process.env },
        (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, output: `${stdout}${stderr}` }));
    });
    const plain = run.output.replace(/\x1b\[\d+m/g, '');
    const at = plain.search(/Stale baseline entries|Unexpected failures/);
    const verdict = at === -1 ? plain.slice(-3000) : plain.slice(at);
    assert.equal(run.code, 0, `the suite's verdict against test/conformance/${revision}.yaml:\n${verdict}`);
    const checks = reported(outDir);
    assert.ok(checks.size >= 30, `${checks.size} scenarios ran`);
    for (const entry of baseline(revision)) {
      const [scenario, id] = entry.split(':') as [string, string];
      const statuses = (checks.get(scenario) ?? []).filter((c) => c.id === id).map((c) => c.status);
      assert.ok(statuses.some((s) => s === 'FAILURE' || s === 'WARNING'), `${entry} is in the baseline but ${statuses.length ? `reported ${statuses.join(', ')}` : 'did not run'}: remove it`);
    }
  });
}

test('every baseline entry is one check of a scenario and says why on its line', () => {
  for (const revision of REVISIONS) {
    const lines = readFileSync(baselineFile(revision), 'utf8').split('\n').filter((line) => /^\s*-\s/.test(line));
    assert.equal(lines.length, baseline(revision).length, revision);
    for (const line of lines) {
      assert.match(line, /^ {2}- [a-z0-9-]+:[a-z0-9-]+ # \S.{20,}$/, `${revision}: ${line}`);
    }
  }
});
