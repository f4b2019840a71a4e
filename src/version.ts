// The package's version, as the server names itself to clients (serverInfo). The bundle has it from package.json at
// build time (scripts/build.mjs defines PACKAGE_VERSION, and the rest folds away): nothing is read at start. Run
// from source (tsx, the unit tests), it is read from package.json.
import { readFileSync } from 'node:fs';

declare const PACKAGE_VERSION: string | undefined;

export const SERVER_VERSION: string = typeof PACKAGE_VERSION === 'string'
  ? PACKAGE_VERSION
  : (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
