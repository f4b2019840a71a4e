// `npm run bundle`: the MCP Bundle (eks-rbac-mcp.mcpb) that Claude Desktop installs with one click. It holds the
// manifest (mcpb/manifest.json: what the user is asked for, mapped onto the server's own settings), the esbuild
// output of `npm run build` (it needs no node_modules) and a package.json that makes dist/ ES modules. Source maps
// stay out: they are three quarters of dist/ and a user's host never reads them.
//   node scripts/bundle.mjs [--no-build] [OUTPUT]   (--no-build packs the dist/ already built, as the tests do)
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const build = !args.includes('--no-build');
const output = resolve(args.find((a) => !a.startsWith('--')) ?? join(root, 'eks-rbac-mcp.mcpb'));
const mcpb = join(root, 'node_modules', '@anthropic-ai', 'mcpb', 'dist', 'cli', 'cli.js'); // the pinned CLI (package.json)
const run = (args) => execFileSync(process.execPath, [mcpb, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const manifest = JSON.parse(readFileSync(join(root, 'mcpb', 'manifest.json'), 'utf8'));
if (manifest.version !== pkg.version) {
  throw new Error(`mcpb/manifest.json says version ${manifest.version}, package.json ${pkg.version}: bump them together`);
}
if (build) execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });

const stage = mkdtempSync(join(tmpdir(), 'eks-rbac-mcp-bundle-'));
try {
  cpSync(join(root, 'mcpb', 'manifest.json'), join(stage, 'manifest.json'));
  cpSync(join(root, 'dist'), join(stage, 'dist'), { recursive: true, filter: (path) => !path.endsWith('.map') });
  const { name, version, license } = pkg;
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify({ name, version, license, type: 'module', private: true }, null, 2)}\n`);
  run(['validate', join(stage, 'manifest.json')]);
  rmSync(output, { force: true });
  run(['pack', stage, output]);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
