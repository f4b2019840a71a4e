// Golden files: what a test pins, kept in the repository for review. One is written only on an explicit
// UPDATE_GOLDEN=1, never by a plain run; a missing or different one fails with the command that rewrites it.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import type { Tool } from '@modelcontextprotocol/client';
import type { Era } from './helpers.ts';

export const updatingGoldens = process.env['UPDATE_GOLDEN'] === '1';

/** JSON with every value that fits on a line kept on one: a rule, a schema property or a served kind reads as one line of a diff. */
export function compactJson(value: unknown, indent = ''): string {
  const flat = JSON.stringify(value);
  const primitives = Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object');
  if (flat.length + indent.length <= 140 || primitives || value === null || typeof value !== 'object') return flat;
  const inner = `${indent}  `;
  const entries = Array.isArray(value)
    ? value.map((v) => `${inner}${compactJson(v, inner)}`)
    : Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${compactJson(v, inner)}`);
  return Array.isArray(value) ? `[\n${entries.join(',\n')}\n${indent}]` : `{\n${entries.join(',\n')}\n${indent}}`;
}

/** The golden file holds exactly `actual` (written there under UPDATE_GOLDEN=1); `rewrite` is the command that rewrites it. */
export function checkGolden(file: string, actual: string, rewrite: string): void {
  if (updatingGoldens) writeFileSync(file, actual);
  assert.ok(existsSync(file), `${file} is missing: write it with ${rewrite}, and review it`);
  const expected = readFileSync(file, 'utf8');
  if (expected !== actual) {
    assert.fail(`${file} differs from what was found now: if that is meant, rewrite it with ${rewrite} and review the diff\n`
      + createTwoFilesPatch(file, 'found now', expected, actual, '', '', { context: 2 }));
  }
}

/** The goldens of tools/list, per fixture identity and revision (test/unit/tools-list.test.ts checks and rewrites them). */
export const GOLDEN_TOOLS_DIR = join(import.meta.dirname, 'golden', 'tools-list');
export const REWRITE_TOOLS = 'UPDATE_GOLDEN=1 npm run test:unit';

export function goldenToolsFile(identity: string, era: Era): string {
  return join(GOLDEN_TOOLS_DIR, `${identity}.${era}.json`);
}

/** The tools a fixture identity is offered, as pinned: what the local control plane must make the server offer too. */
export function goldenTools(identity: string, era: Era = '2026-07-28'): Tool[] {
  const file = goldenToolsFile(identity, era);
  assert.ok(existsSync(file), `${file} is missing: write it with ${REWRITE_TOOLS}, and review it`);
  return (JSON.parse(readFileSync(file, 'utf8')) as { tools: Tool[] }).tools;
}
