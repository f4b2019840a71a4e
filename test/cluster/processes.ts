// Child processes of a control-plane run. Each is started under `setpriv --pdeathsig KILL`, so the kernel
// kills it if the process that started it dies in any way (a crashed or interrupted test run included).
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Started {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  child: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
}

export class ProcessGroup {
  private readonly started: Started[] = [];
  private readonly onExit = () => this.killNow();

  constructor(private readonly logDir: string) {
    process.once('exit', this.onExit);
  }

  start(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Started {
    const logFile = join(this.logDir, `${name}.log`);
    const fd = openSync(logFile, 'a');
    const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', command, ...args], {
      stdio: ['pipe', fd, fd], // stdin kept open: helpers that watch it exit when we are gone
      env,
    });
    closeSync(fd);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const entry = { name, command, args, env, child, logFile, exited };
    this.started.push(entry);
    return entry;
  }

  /** Kills a process outright (as a crash would) and starts it again with the same arguments. */
  async restart(name: string): Promise<Started> {
    const index = this.started.findIndex((e) => e.name === name);
    if (index < 0) throw new Error(`no process named ${name}`);
    const old = this.started[index]!;
    old.child.kill('SIGKILL');
    await old.exited;
    this.started.splice(index, 1);
    const fresh = this.start(old.name, old.command, old.args, old.env);
    this.started.splice(index, 0, this.started.pop()!); // keep the stop order
    return fresh;
  }

  pids(): number[] {
    return this.started.map((entry) => entry.child.pid!).filter(Boolean);
  }

  /** Fails with the tail of the process's log if it exits before `ready` settles. */
  async untilReady<T>(entry: Started, ready: Promise<T>): Promise<T> {
    const died = entry.exited.then((code) => {
      throw new Error(`${entry.name} exited (code ${code}) before it was ready:\n${tail(entry.logFile)}`);
    });
    return Promise.race([ready, died]);
  }

  /** Stops in reverse start order: SIGTERM, then SIGKILL after the grace period. */
  async stop(graceMs = 5000): Promise<void> {
    for (const entry of [...this.started].reverse()) {
      if (entry.child.exitCode !== null || entry.child.signalCode !== null) continue;
      entry.child.kill('SIGTERM');
      const timer = setTimeout(() => entry.child.kill('SIGKILL'), graceMs);
      await entry.exited;
      clearTimeout(timer);
    }
    this.started.length = 0;
    process.removeListener('exit', this.onExit);
  }

  private killNow(): void {
    for (const entry of this.started) entry.child.kill('SIGKILL');
  }
}

export function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
