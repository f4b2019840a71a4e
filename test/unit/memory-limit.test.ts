import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { deploymentMemoryLimit, memoryBytes } from '../../scripts/bench/memory-limit.ts';
import { root } from '../helpers.ts';

test('memory quantities in the forms a limit is written in', () => {
  assert.equal(memoryBytes('256Mi'), 256 * 2 ** 20);
  assert.equal(memoryBytes('1Gi'), 2 ** 30);
  assert.equal(memoryBytes('512Ki'), 512 * 2 ** 10);
  assert.equal(memoryBytes('1000'), 1000);
  for (const bad of ['256M', '1.5Gi', 'Mi', '-1Mi', '']) assert.throws(() => memoryBytes(bad), /expected bytes or Ki, Mi, Gi/, bad);
});

test('the benchmark reads the shipped Deployment\'s memory limit (the docs quote it beside the memory table)', () => {
  assert.equal(deploymentMemoryLimit(join(root, 'manifests', 'deploy', 'deployment.yaml')), 256 * 2 ** 20);
  assert.throws(() => deploymentMemoryLimit(join(root, 'manifests', 'deploy', 'serviceaccount.yaml')), /no Deployment with a container memory limit/);
});
