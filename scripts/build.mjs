// Bundles the server into dist/ with esbuild: one small entry chunk for what the first tools/list needs;
// what only some calls need (client-node for kubeconfig mode, the AWS SDK clients, ws) is split into
// chunks loaded on first use, so startup does not pay for them.
import { build } from 'esbuild';
import { chmodSync, readFileSync, rmSync } from 'node:fs';

/**
 * zod exports its ~40 message locales as `locales` (about 260 KB minified, half of zod in the bundle); nothing
 * here uses them (zod configures English itself), but a namespace re-export defeats tree shaking, and every
 * start would parse them. They are replaced by an empty module.
 */
const dropZodLocales = {
  name: 'drop-zod-locales',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      (/[\\/]zod[\\/]v4[\\/]/.test(args.importer) ? { path: 'zod-locales', namespace: 'stub' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'export {};', loader: 'js' }));
  },
};

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: { cli: 'src/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  mainFields: ['module', 'main'], // ESM builds where packages ship them: named exports survive code splitting
  target: 'node22',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  // CommonJS dependencies inside an ESM bundle still call require().
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
  define: { PACKAGE_VERSION: JSON.stringify(version) }, // src/version.ts: serverInfo's version, read from nothing at start
  plugins: [dropZodLocales],
});
chmodSync('dist/cli.js', 0o755);
