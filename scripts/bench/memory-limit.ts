// The shipped Deployment's memory limit, put on one server process through a memory cgroup. In a container Node
// sizes V8's heap from the limit (under 256 MiB its heap limit is ~259 MiB, against ~4.2 GiB on this 24 GiB host,
// and the young generation shrinks with it), so a pod's RSS is not what the unlimited host shows.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';

const UNITS: Record<string, number> = { '': 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };

/** A Kubernetes memory quantity in bytes: plain bytes or a binary suffix (the forms a memory limit is written in). */
export function memoryBytes(quantity: string): number {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(quantity.trim());
  if (!m) throw new Error(`memory quantity "${quantity}": expected bytes or Ki, Mi, Gi (as in 256Mi)`);
  return Number(m[1]) * UNITS[m[2] ?? '']!;
}

interface Deployment { kind?: string; spec?: { template?: { spec?: { containers?: Array<{ resources?: { limits?: { memory?: string } } }> } } } }

/** limits.memory of the server's container in the Deployment the project ships. */
export function deploymentMemoryLimit(file: string): number {
  const deployment = (loadAll(readFileSync(file, 'utf8')) as Deployment[]).find((d) => d?.kind === 'Deployment');
  const memory = deployment?.spec?.template?.spec?.containers?.[0]?.resources?.limits?.memory;
  if (!memory) throw new Error(`${file}: no Deployment with a container memory limit`);
  return memoryBytes(memory);
}

export interface MemoryCgroup {
  /** The command that joins the cgroup, then execs the server (same pid, so RSS is read from the server itself). */
  wrap(command: string, args: string[]): { command: string; args: string[] };
  /** Removes the cgroup once its processes have exited; says why when it cannot (an empty cgroup left behind). */
  remove(): string | undefined;
}

/** Where memory cgroups are made: the v1 memory hierarchy, or the v2 root when it offers the memory controller. */
function hierarchy(): { root: string; limitFile: string } | undefined {
  if (existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes')) return { root: '/sys/fs/cgroup/memory', limitFile: 'memory.limit_in_bytes' };
  const controllers = '/sys/fs/cgroup/cgroup.controllers';
  if (existsSync(controllers) && readFileSync(controllers, 'utf8').split(/\s+/).includes('memory')) return { root: '/sys/fs/cgroup', limitFile: 'memory.max' };
  return undefined;
}

/** A memory cgroup limited to `bytes`, or why none can be made here (no memory controller, not root). */
export function memoryCgroup(bytes: number, name = `eks-rbac-mcp-bench-${process.pid}`): MemoryCgroup | string {
  const where = hierarchy();
  if (!where) return 'no memory cgroup controller on this machine';
  const dir = join(where.root, name);
  try {
    mkdirSync(dir);
    writeFileSync(join(dir, where.limitFile), String(bytes));
  } catch (error) {
    try { rmdirSync(dir); } catch { /* it was not made */ }
    return `cannot make a memory cgroup at ${dir}: ${(error as Error).message}`;
  }
  return {
    wrap: (command, args) => ({ command: 'sh', args: ['-c', `echo $$ > ${join(dir, 'cgroup.procs')} && exec "$@"`, 'sh', command, ...args] }),
    remove: () => {
      try {
        rmdirSync(dir);
        return undefined;
      } catch (error) {
        return `the memory cgroup ${dir} is left behind: ${(error as Error).message}`;
      }
    },
  };
}
