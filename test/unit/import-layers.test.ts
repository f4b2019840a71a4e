// The layers of the code point one way: cli -> server (the protocol adapters) -> policy -> tools (the catalogue and the
// shape of its entries) -> rbac/kube/aws -> format, config. A module imports from its own layer or those below it; src/
// takes the catalogue from tools/ in one place only, the composition root (src/server/runtime.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Top to bottom; a path matches the first layer one of whose prefixes it starts with. */
const LAYERS: Array<[string, string[]]> = [
  ['cli', ['src/cli.ts', 'src/commands.ts', 'src/main.ts']],
  ['server', ['src/server/']],
  ['policy', ['src/policy/']],
  ['tools', ['tools/', 'src/tool.ts', 'src/prompt.ts']],
  ['rbac/kube/aws', ['src/rbac/', 'src/kube/', 'src/aws/', 'src/net/', 'src/connection.ts', 'src/startup.ts']],
  ['format, config', ['src/format.ts', 'src/config.ts', 'src/log.ts', 'src/exit-codes.ts', 'src/question.ts', 'src/diff.ts', 'src/redact.ts',
    'src/describe.ts', 'src/rollout.ts', 'src/version.ts']],
];
const COMPOSITION_ROOT = 'src/server/runtime.ts';

function layerOf(path: string): number {
  const at = LAYERS.findIndex(([, prefixes]) => prefixes.some((p) => path === p || (p.endsWith('/') && path.startsWith(p))));
  assert.notEqual(at, -1, `${path} is in no layer: add it to LAYERS`);
  return at;
}

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((entry) => {
    const path = `${dir}/${entry}`;
    return statSync(join(root, path)).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The project modules a file imports (static, dynamic and type-only), as paths from the root. */
function imports(path: string): string[] {
  const text = readFileSync(join(root, path), 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
  return specifiers.map((s) => relative(root, resolve(join(root, dirname(path)), s)));
}

const files = [...sources('src'), ...sources('tools')];

test('every module imports from its own layer or those below it', () => {
  const upward = files.flatMap((file) => imports(file).filter((dep) => layerOf(dep) < layerOf(file))
    .map((dep) => `${file} (${LAYERS[layerOf(file)]![0]}) imports ${dep} (${LAYERS[layerOf(dep)]![0]})`));
  assert.deepEqual(upward, []);
});

test('src/ takes the catalogue from tools/ in the composition root only, and src/rbac knows nothing of tools', () => {
  const fromTools = files.filter((f) => f.startsWith('src/') && imports(f).some((dep) => dep.startsWith('tools/')));
  assert.deepEqual(fromTools, [COMPOSITION_ROOT]);
  const rbac = files.filter((f) => f.startsWith('src/rbac/') && imports(f).some((dep) => dep === 'src/tool.ts' || dep.startsWith('tools/')));
  assert.deepEqual(rbac, []);
});

test('the layers are checked on every module: the test sees the imports it is about', () => {
  assert.ok(files.length > 80, `${files.length} modules`);
  assert.ok(imports('src/server/runtime.ts').includes('tools/index.ts'));
  assert.ok(imports('src/policy/gate.ts').includes('src/tool.ts'));
});
