import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ToolAnnotations } from '@modelcontextprotocol/server';
import { advertisedHints, HINT_DEFAULTS } from '../../src/policy/offer.ts';
import { catalogue } from '../../tools/index.ts';

/**
 * What a client concludes from a tool's hints under the spec's defaults; destructive and idempotent mean something
 * only when the tool is not read-only.
 */
function meaning(hints: ToolAnnotations) {
  const readOnly = hints.readOnlyHint ?? HINT_DEFAULTS.readOnlyHint;
  return {
    readOnly,
    openWorld: hints.openWorldHint ?? HINT_DEFAULTS.openWorldHint,
    ...(readOnly ? {} : { destructive: hints.destructiveHint ?? HINT_DEFAULTS.destructiveHint, idempotent: hints.idempotentHint ?? HINT_DEFAULTS.idempotentHint }),
  };
}

const HINTS = ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const;

test('the advertised hints mean what the declared ones do, for every combination of the four', () => {
  for (let bits = 0; bits < 16; bits++) {
    const declared = Object.fromEntries(HINTS.map((h, i) => [h, (bits & (1 << i)) !== 0])) as Record<(typeof HINTS)[number], boolean>;
    const advertised = advertisedHints(declared);
    assert.deepEqual(meaning(advertised), meaning(declared), JSON.stringify(declared));
    for (const [hint, value] of Object.entries(advertised)) assert.notEqual(value, HINT_DEFAULTS[hint as keyof typeof HINT_DEFAULTS], `${hint} restates the default`);
  }
});

test('every catalogue tool: the same meaning, in fewer hints; a read-only tool says only read-only and closed-world', () => {
  for (const tool of catalogue) {
    const advertised = advertisedHints(tool.annotations);
    assert.deepEqual(meaning(advertised), meaning(tool.annotations), tool.name);
    if (tool.annotations.readOnlyHint) assert.deepEqual(advertised, { readOnlyHint: true, openWorldHint: false }, tool.name);
    else assert.equal(advertised.readOnlyHint, undefined, tool.name);
  }
  const exec = catalogue.find((t) => t.name === 'pods_exec')!;
  assert.deepEqual(advertisedHints(exec.annotations), { openWorldHint: false }, 'destructive, not idempotent: the defaults');
  const trigger = catalogue.find((t) => t.name === 'cronjobs_trigger')!;
  assert.deepEqual(advertisedHints(trigger.annotations), { destructiveHint: false, openWorldHint: false });
});
