// Compact, agent-friendly renderings of Kubernetes objects: a text table for reading (and, with --structured-output,
// the same rows as structured content for programs). Small pure functions, no I/O.

export type Cell = string | number | boolean | null | undefined;

/** The fewest rows for which a column with the same cell on every row is stated once: with fewer, it costs more than it saves. */
const STATED_ONCE_MIN_ROWS = 3;

const SPLITTERS = /[\t\n\r]/;
const ESCAPED: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One cell as text: '-' when empty; a tab or line break inside it escaped, so that it cannot split a row or a column. */
export function cellText(cell: Cell): string {
  if (cell === null || cell === undefined || cell === '') return '-';
  const text = typeof cell === 'string' ? cell : String(cell);
  // Most cells hold none: test before replacing, which would copy each of them (a list renders thousands).
  return SPLITTERS.test(text) ? text.replace(/[\t\n\r]/g, (c) => ESCAPED[c]!) : text;
}

/** Which columns have the same cell on every row (of enough rows); never the first, which names the row. */
export function constantColumns(rows: readonly string[][]): boolean[] {
  const first = rows[0];
  if (!first || rows.length < STATED_ONCE_MIN_ROWS) return first?.map(() => false) ?? [];
  return first.map((cell, i) => i > 0 && rows.every((row) => row[i] === cell));
}

/**
 * A table for a model to read, every row and column kept: a header row and tab-separated cells (padding to align
 * columns costs tokens and tells a model nothing), and a column whose cell is the same on every row stated once
 * above the table ("STATUS: Running (all rows)") instead of on each row.
 * Plain loops rather than a map per row, per cell and per line: a list renders thousands of cells on every call, and
 * the maps' callbacks cost ~6% of the server's main-thread instructions for a 200-pod list (callgrind: ~5.1 M -> ~4.8 M
 * a call). Lines are joined, not concatenated with +=: the ropes that left cost the GC's helper threads more.
 */
export function table(columns: string[], rows: Cell[][]): string {
  const text: string[][] = new Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    const cells: string[] = new Array(row.length);
    for (let i = 0; i < row.length; i++) cells[i] = cellText(row[i]);
    text[r] = cells;
  }
  const header = columns.map((c) => c.toUpperCase());
  const constant = constantColumns(text);
  const stated = header.flatMap((name, i) => (constant[i] ? [`${name}: ${text[0]![i]} (all rows)`] : []));
  const shown = header.flatMap((_, i) => (constant[i] ? [] : [i]));
  const line = (cells: string[]) => {
    const parts: string[] = new Array(shown.length);
    for (let k = 0; k < shown.length; k++) parts[k] = cells[shown[k]!]!;
    return parts.join('\t');
  };
  const lines = [...stated, line(header)];
  for (let r = 0; r < text.length; r++) lines.push(line(text[r]!));
  return lines.join('\n');
}

/** A table for a person at a terminal: columns padded to their widest cell (the CLI's `tools` and `doctor`). */
export function alignedTable(columns: string[], rows: Cell[][]): string {
  const text = rows.map((row) => row.map(cellText));
  const widths = columns.map((col, i) => Math.max(col.length, ...text.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ');
  return [line(columns.map((c) => c.toUpperCase())), ...text.map(line)].join('\n');
}

/** kubectl's age: 45s, 12m, 5h, 3d; '-' when unknown. */
export function age(timestamp: string | undefined, now: Date): string {
  if (!timestamp) return '-';
  const seconds = Math.max(0, Math.floor((now.getTime() - Date.parse(timestamp)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  managedFields?: unknown;
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [key: string]: unknown;
}

/**
 * One cell of the API server's Table as a column of the declared type: counts where kubectl prints "3 (5m ago)",
 * booleans where it prints "True", and '' for its "<none>".
 */
export function tableCell(value: unknown, type: 'string' | 'number' | 'boolean'): string | number | boolean {
  if (type === 'number') return typeof value === 'number' ? value : Number.parseInt(String(value ?? ''), 10) || 0;
  if (type === 'boolean') return value === true || /^true$/i.test(String(value));
  return value === undefined || value === null || value === '<none>' ? '' : String(value);
}

const SUFFIXES: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** A Kubernetes quantity ("250m", "1.5Gi", "12345678n", "1e3") as a number of base units; NaN when malformed. */
export function quantity(value: string): number {
  const match = /^([+-]?[0-9.]+(?:[eE][+-]?\d+)?)(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(value.trim());
  return match ? Number(match[1]) * SUFFIXES[match[2] ?? '']! : Number.NaN;
}
