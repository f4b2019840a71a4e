// The Dockerfile: its text is always checked; the image is built only where a builder can run without reaching
// any registry (a running daemon that already holds every base image), and the test says which one happened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './helpers.ts';

const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
const bases = [...dockerfile.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gim)];
const stageNames = new Set(bases.map((m) => m[2]).filter(Boolean));

test('the Dockerfile text: stages, npm ci, the bundle copied, a non-root user, COPY sources that exist (text only, no build)', () => {
  assert.ok(bases.length >= 2, 'multi-stage');
  assert.match(dockerfile, /RUN npm ci\b/);
  assert.match(dockerfile, /node scripts\/build\.mjs/);
  assert.match(dockerfile, /COPY --from=\S+ \S*dist/);
  const user = /^USER\s+(\S+)/im.exec(dockerfile.slice(dockerfile.lastIndexOf('FROM')))?.[1];
  assert.ok(user && user !== 'root' && user !== '0', `final stage user: ${user}`);
  for (const [, source] of dockerfile.matchAll(/^COPY (?!--from)(?:--\S+ )*(.+) \S+$/gm)) {
    for (const path of source!.split(/\s+/)) assert.ok(spawnSync('test', ['-e', join(root, path)]).status === 0, `COPY source ${path} exists`);
  }
  const ignored = readFileSync(join(root, '.dockerignore'), 'utf8');
  for (const path of ['node_modules', 'dist', '.git']) assert.match(ignored, new RegExp(`^/?${path.replace('.', '\\.')}/?$`, 'm'));
});

/** A builder that can build here without the network: a running daemon holding every external base image. */
function offlineBuilder(): { builder?: string; why: string } {
  for (const builder of ['docker', 'podman']) {
    if (spawnSync('sh', ['-c', `command -v ${builder}`]).status !== 0) continue;
    if (spawnSync(builder, ['info'], { timeout: 10_000 }).status !== 0) return { why: `${builder} is installed but its daemon does not answer` };
    const missing = bases.map((m) => m[1]!).filter((image) => !stageNames.has(image))
      .filter((image) => spawnSync(builder, ['image', 'inspect', image], { timeout: 10_000 }).status !== 0);
    if (missing.length) return { why: `${builder} lacks the base image(s) ${missing.join(', ')}, and pulling them would reach a registry these tests may not` };
    return { builder, why: '' };
  }
  return { why: 'no image builder (docker, podman) on this machine' };
}

const { builder, why } = offlineBuilder();

test('the image builds and runs the bundle as non-root', { skip: builder ? false : `NOT BUILT: ${why}; only the Dockerfile's text was checked` }, () => {
  const tag = `eks-rbac-mcp-test:${process.pid}`;
  try {
    const build = spawnSync(builder!, ['build', '--pull=false', '-t', tag, root], { encoding: 'utf8', timeout: 15 * 60_000 });
    assert.equal(build.status, 0, build.stderr);
    const run = spawnSync(builder!, ['run', '--rm', '--network=none', tag, '--help'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /eks-rbac-mcp/);
    const user = spawnSync(builder!, ['image', 'inspect', '--format', '{{.Config.User}}', tag], { encoding: 'utf8' }).stdout.trim();
    assert.ok(user && user !== 'root' && user !== '0', `image user: ${user}`);
  } finally {
    spawnSync(builder!, ['rmi', '-f', tag]);
  }
});
