import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectTools } from '../../src/policy/select-tools.ts';
import { ConfigError } from '../../src/config.ts';

const names = ['whoami', 'can_i', 'pods_list', 'pods_get', 'pods_log', 'deployments_list', 'nodes_list'];

test('no --tools: everything; names and globs select in catalogue order', () => {
  assert.deepEqual([...selectTools(undefined, names)], names);
  assert.deepEqual([...selectTools(['pods_*', 'whoami'], names)], ['whoami', 'pods_list', 'pods_get', 'pods_log']);
  assert.deepEqual([...selectTools(['*_list'], names)], ['pods_list', 'deployments_list', 'nodes_list']);
});

test('a pattern that selects nothing is a configuration error naming it and the known tools', () => {
  assert.throws(() => selectTools(['pods_list', 'pod_*'], names), (e: Error) => e instanceof ConfigError && /"pod_\*" matches no tool.*known: whoami, can_i/.test(e.message));
});

