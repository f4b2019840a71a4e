import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { age, alignedTable, cellText, constantColumns, table, tableCell, type Cell } from '../../src/format.ts';
import { redactSecret, stripNoise } from '../../src/redact.ts';
import { readTable } from '../helpers.ts';

const now = new Date('2026-11-27T12:00:00Z');

test('age reads like kubectl', () => {
  assert.equal(age('2026-11-27T11:59:15Z', now), '45s');
  assert.equal(age('2026-11-27T11:30:00Z', now), '30m');
  assert.equal(age('2026-11-27T07:00:00Z', now), '5h');
  assert.equal(age('2026-11-20T12:00:00Z', now), '7d');
  assert.equal(age(undefined, now), '-');
});

test('table: tab-separated under an upper-case header, empty cells as -', () => {
  assert.equal(table(['name', 'node'], [['web-1', 'kwok-node-0'], ['a', '']]), 'NAME\tNODE\nweb-1\tkwok-node-0\na\t-');
});

test('table: a column the same on every row of three or more is stated once above the table, in column order', () => {
  const rows = [['a', '1/1', 'Running', 0, 'n1'], ['b', '1/1', 'Running', 0, 'n2'], ['c', '1/1', 'Running', 0, 'n1']];
  assert.equal(table(['name', 'ready', 'status', 'restarts', 'node'], rows),
    'READY: 1/1 (all rows)\nSTATUS: Running (all rows)\nRESTARTS: 0 (all rows)\nNAME\tNODE\na\tn1\nb\tn2\nc\tn1');
});

test('table: with one or two rows nothing is stated apart (it would cost more than it saves)', () => {
  assert.equal(table(['name', 'status'], [['a', 'Running']]), 'NAME\tSTATUS\na\tRunning');
  assert.equal(table(['name', 'status'], [['a', 'Running'], ['b', 'Running']]), 'NAME\tSTATUS\na\tRunning\nb\tRunning');
});

test('table: the first column names the row and always stays, even when every column is constant', () => {
  const rows = [['x', ''], ['x', ''], ['x', '']];
  assert.equal(table(['name', 'node'], rows), 'NODE: - (all rows)\nNAME\nx\nx\nx');
  assert.deepEqual(constantColumns([['x', 'y'], ['x', 'y'], ['x', 'y']]), [false, true]);
  assert.deepEqual(constantColumns([]), []);
});

test('table: no rows is the header alone; a tab or line break in a cell is escaped and cannot split it', () => {
  assert.equal(table(['name', 'message'], []), 'NAME\tMESSAGE');
  assert.equal(cellText('a\tb\nc\rd'), 'a\\tb\\nc\\rd');
  assert.equal(cellText(null), '-');
  assert.equal(cellText(0), '0');
  assert.equal(cellText(false), 'false');
});

test('table keeps every row and every column: read back, each cell is the one given', () => {
  const cell: fc.Arbitrary<Cell> = fc.oneof(fc.constantFrom('Running', 'Pending', '1/1', '', null), fc.string({ maxLength: 8 }), fc.nat(50));
  fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.array(cell, { minLength: 5, maxLength: 5 }), { maxLength: 12 }), (width, raw) => {
    const columns = ['name', 'ready', 'status', 'restarts', 'node'].slice(0, width);
    const rows = raw.map((r, i) => [`pod-${i}`, ...r.slice(1, width)]);
    const read = readTable(table(columns, rows));
    assert.deepEqual([...read.columns].sort(), columns.map((c) => c.toUpperCase()).sort());
    assert.deepEqual(read.rows, rows.map((r) => Object.fromEntries(r.map((c, i) => [columns[i]!.toUpperCase(), cellText(c)]))));
  }));
});

test('alignedTable pads columns for a person at a terminal', () => {
  assert.equal(alignedTable(['name', 'node'], [['web-1', 'kwok-node-0'], ['a', '']]), 'NAME   NODE\nweb-1  kwok-node-0\na      -');
});

test('table cells become the declared column types: counts, booleans, <none> as empty', () => {
  assert.equal(tableCell('3 (5m ago)', 'number'), 3);
  assert.equal(tableCell(2, 'number'), 2);
  assert.equal(tableCell(undefined, 'number'), 0);
  assert.equal(tableCell('False', 'boolean'), false);
  assert.equal(tableCell('True', 'boolean'), true);
  assert.equal(tableCell(true, 'boolean'), true);
  assert.equal(tableCell('<none>', 'string'), '');
  assert.equal(tableCell(80, 'string'), '80');
});

test('managedFields and the last-applied annotation are dropped, other annotations kept', () => {
  const out = stripNoise({ metadata: { name: 'x', managedFields: [{}], annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', team: 'a' } } });
  assert.deepEqual(out.metadata, { name: 'x', annotations: { team: 'a' } });
});

test('a Secret keeps its keys and loses its values, including the copy in last-applied', () => {
  const secret = {
    kind: 'Secret',
    metadata: { name: 'db', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"stringData":{"password":"hunter2"}}' } },
    data: { password: Buffer.from('hunter2').toString('base64') },
    stringData: { token: 'abc' },
  };
  const out = redactSecret(secret);
  const text = JSON.stringify(out);
  assert.doesNotMatch(text, /hunter2|aHVudGVyMg|abc"/);
  assert.deepEqual(out.data, { password: '<redacted: 7 bytes>' });
  assert.deepEqual((out as { stringData?: unknown }).stringData, { token: '<redacted: 3 bytes>' });
});

test('exec exit codes: Success, the ExitCode cause, or the code a wrapped runtime error ends with', async () => {
  const { exitCodeOf } = await import('../../src/kube/exec.ts');
  assert.equal(exitCodeOf({ status: 'Success' }), 0);
  assert.equal(exitCodeOf({ status: 'Failure', details: { causes: [{ reason: 'ExitCode', message: '42' }] } }), 42);
  assert.equal(exitCodeOf({ status: 'Failure', message: 'error executing command in container: cmd wait: sh -c exit 3: exit status 3' }), 3);
  assert.equal(exitCodeOf({ status: 'Failure', message: 'container not found ("web")' }), null);
});

test('the exec question shows bidi and invisible characters escaped and long argv shortened; the argv is untouched', async () => {
  const { execQuestion } = await import('../../tools/pods.ts');
  const spoof = ['sh', '-c', 'echo safe \u202E;hs.txt | rm -rf / #\u200B\u2066\u00A0\uFEFF\u0007'];
  const args = { namespace: 'team-a', name: 'web', command: [...spoof] };
  const question = execQuestion(args);
  for (const hidden of ['\u202E', '\u200B', '\u2066', '\u00A0', '\uFEFF', '\u0007']) assert.ok(!question.includes(hidden), `U+${hidden.codePointAt(0)!.toString(16)} shown raw`);
  assert.match(question, /\\u\{202E\}/);
  assert.match(question, /\\u\{200B\}/);
  assert.deepEqual(args.command, spoof, 'the call keeps the exact argv');
  const long = execQuestion({ namespace: 'team-a', name: 'web', command: ['echo', 'x'.repeat(4000), ...Array.from({ length: 60 }, (_, i) => `a${i}`)] });
  assert.ok(long.length < 1200, `a short question (${long.length} characters)`);
  assert.match(long, /3\d{3} more characters/);
  assert.match(long, /and \d+ more arguments/);
  assert.match(execQuestion({ namespace: 'team-a', name: 'web', command: ['ls', '-l', '/tmp'] }), /^Run \["ls","-l","\/tmp"\] in pod team-a\/web\?$/);
});
