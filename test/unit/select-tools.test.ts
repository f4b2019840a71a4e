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


test('a pattern\'s other characters are literal: only * is a wildcard', () => {
  assert.throws(() => selectTools(['pods_list+'], names), (e: Error) => e instanceof ConfigError && /"pods_list\+" matches no tool/.test(e.message));
  assert.throws(() => selectTools(['pods.list'], names), ConfigError);
  assert.deepEqual([...selectTools(['pods_l*'], names)], ['pods_list', 'pods_log']);
});

test('several patterns that select nothing are named together', () => {
  assert.throws(() => selectTools(['pod_*', 'nodes_get', 'whoami'], names),
    (e: Error) => e instanceof ConfigError && e.message.includes('tools: "pod_*", "nodes_get" match no tool (--tools or EKS_MCP_TOOLS); known: whoami, can_i, pods_list'));
});
