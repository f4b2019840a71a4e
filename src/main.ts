#!/usr/bin/env node
// The bundle's entry (dist/cli.js). It turns on Node's compile cache before anything else is loaded, so that every
// start after the first reads the bundle's compiled code from disk (NODE_COMPILE_CACHE, or the system's temporary
// directory) instead of compiling it again. Runtimes without it (Node < 22.1) just start as before.
import module from 'node:module';

module.enableCompileCache?.();
await import('./cli.ts');
