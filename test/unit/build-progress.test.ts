// test/cluster/build.sh's progress, on a terminal and off it, with a stand-in `go` on PATH so that the script's own
// logic (cache per binary, lines, timing, summary) runs in seconds; the real build runs in every test run's start.
// Off a terminal a stand-in build ends at once; on one, it ends when the test has seen its live line count up.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdtempSync, mkdirSync, rmSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from '../helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'eks-mcp-build-progress-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const bin = join(dir, 'bin');
mkdirSync(bin);
// `go version` for the cache key; `go build ... -o DIR/ PKG...` writes one file per main package, once the file
// $GO_STANDIN_RELEASE exists when that is set (and takes it away for the next build).
writeFileSync(join(bin, 'go'), `#!/usr/bin/env bash
[ "$1" = version ] && { echo "go version go1.99 stand-in"; exit 0; }
out=""; pkgs=(); while [ $# -gt 0 ]; do case "$1" in -o) out=$2; shift 2;; -ldflags) shift 2;; -*) shift;; build) shift;; *) pkgs+=("$1"); shift;; esac; done
if [ -n "\${GO_STANDIN_RELEASE:-}" ]; then until [ -e "$GO_STANDIN_RELEASE" ]; do sleep 0.05; done; rm "$GO_STANDIN_RELEASE"; fi
for p in "\${pkgs[@]}"; do n=$(basename "$p"); [ "$p" = . ] && n=$(basename "$PWD"); printf '#!/bin/sh\\n' > "$out/$n"; chmod +x "$out/$n"; done
`);
chmodSync(join(bin, 'go'), 0o755);
const cache = join(dir, 'cache');
const env = { ...process.env, PATH: `${bin}:${process.env['PATH']}`, EKS_MCP_CACHE: cache, TERM: 'xterm' };
const script = join(root, 'test', 'cluster', 'build.sh');

/** The elapsed times a binary's live line showed, in order. */
function liveCounts(terminal: string, label: string): number[] {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return [...terminal.matchAll(new RegExp(`\\r\\x1b\\[Kbuild: ${escaped} \\.\\.\\. (\\d+) s`, 'g'))].map((m) => Number(m[1]));
}

/**
 * build.sh on a terminal (script(1) gives it one), each stand-in build released once its live line has counted up:
 * what the terminal received, and the exit status.
 */
async function buildOnTerminal(args: string[], environment: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string }> {
  const release = join(dir, 'release');
  const child = spawn('script', ['-qec', ['bash', script, ...args].join(' '), '/dev/null'], { env: { ...environment, GO_STANDIN_RELEASE: release } });
  child.stdin.end();
  let stdout = '';
  const released = new Set<string>();
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    for (const [, label] of stdout.matchAll(/\r\x1b\[Kbuild: (.+?) \.\.\. \d+ s/g)) {
      const counts = liveCounts(stdout, label!);
      if (!released.has(label!) && counts.at(-1)! > counts[0]!) {
        released.add(label!);
        writeFileSync(release, '');
      }
    }
  });
  try {
    const [status] = await once(child, 'close') as [number | null];
    return { status, stdout };
  } finally {
    child.kill();
  }
}

function build(): { stdout: string; stderr: string } {
  const run = spawnSync('bash', [script], { env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  return run;
}

test('off a terminal: a plain line per step, then the time taken and where each binary came from', () => {
  const first = build();
  assert.doesNotMatch(first.stderr, /\r|\x1b\[/, 'no terminal control characters in logs');
  for (const step of ['etcd', 'kwok', 'kube-apiserver \\+ kube-controller-manager']) {
    assert.match(first.stderr, new RegExp(`^build: ${step} \\(.*\\) \\.\\.\\.$`, 'm'));
    assert.match(first.stderr, new RegExp(`^build: ${step} built in \\d+ s$`, 'm'));
  }
  assert.match(first.stderr, /^build: control plane ready in \d+ s \(.*\):$/m);
  for (const binary of ['etcd', 'kwok', 'kube-apiserver', 'kube-controller-manager']) {
    assert.match(first.stderr, new RegExp(`^build:   ${binary}: built in \\d+ s$`, 'm'));
  }
  const out = first.stdout.trim();
  assert.deepEqual(readdirSync(out).sort(), ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kwok']);

  const again = build();
  assert.equal(again.stdout.trim(), out);
  assert.match(again.stderr, /^build: control plane binaries from the cache \(.*\)$/m);

  rmSync(join(out, 'kwok'));
  const partial = build();
  assert.match(partial.stderr, /^build: etcd from the cache$/m);
  assert.match(partial.stderr, /^build: kwok built in \d+ s$/m);
  assert.match(partial.stderr, /^build:   etcd: from the cache$/m);
  assert.match(partial.stderr, /^build:   kwok: built in \d+ s$/m);
  assert.match(partial.stderr, /^build:   kube-apiserver: from the cache$/m);
  assert.ok(existsSync(join(out, 'kwok')));
});

test('on a terminal: a live line per binary being built, its elapsed time rewritten in place', { timeout: 60_000 }, async () => {
  rmSync(cache, { recursive: true, force: true });
  const run = await buildOnTerminal([], env);
  assert.equal(run.status, 0, run.stdout);
  const etcd = liveCounts(run.stdout, 'etcd');
  assert.ok(etcd.length >= 2 && etcd.at(-1)! > etcd[0]!, `the live line counts up while etcd builds: ${JSON.stringify(run.stdout)}`);
  assert.match(run.stdout, /\r\x1b\[Kbuild: kube-apiserver \+ kube-controller-manager \.\.\. \d+ s/);
  assert.match(run.stdout, /build: etcd built in \d+ s\r?\n/, 'and is replaced by the result when done');
  assert.match(run.stdout, /build:   kube-controller-manager: built in \d+ s/);
});

test('helm, a component of its own: the same progress, its own cache, and the control plane\'s cache untouched', { timeout: 60_000 }, async () => {
  rmSync(cache, { recursive: true, force: true });
  const run = (args: string[]) => spawnSync('bash', [script, ...args], { env, encoding: 'utf8', timeout: 60_000 });
  const first = run(['helm']);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stderr, /^build: helm \(helm\.sh\/helm\/v4\/cmd\/helm\) \.\.\.$/m);
  assert.match(first.stderr, /^build: helm built in \d+ s$/m);
  assert.deepEqual(readdirSync(first.stdout.trim()), ['helm']);
  assert.match(first.stdout.trim(), /\/helm-[0-9a-f]{16}$/);
  assert.match(run(['helm']).stderr, /^build: helm from the cache \(.*\/helm-[0-9a-f]{16}\)$/m);
  assert.deepEqual(readdirSync(cache).filter((d) => d.startsWith('control-plane-')), [], 'building helm built nothing else');
  const live = await buildOnTerminal(['helm'], { ...env, EKS_MCP_CACHE: join(dir, 'cache-live') });
  assert.equal(live.status, 0, live.stdout);
  assert.match(live.stdout, /\r\x1b\[Kbuild: helm \.\.\. \d+ s/, 'a live line while it builds');
  const unknown = run(['kubectl']);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /build: unknown component kubectl \(control-plane, metrics-server or helm\)/);
});
