// How the benchmark's report judges its rows: on the median of several runs, HTTP memory inside the Deployment's
// limit, and every round of a refresh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { targets } from '../../scripts/bench/report.ts';

const stat = (median: number) => ({ n: 3, median, p95: median, min: median, max: median, mean: median });
const cold = (ours: number, exec: number) => ({
  ours: { toFirstToolsList: stat(ours), firstAnswer: stat(100) }, 'ours-2025': { toFirstToolsList: stat(ours), firstAnswer: stat(100) },
  peer: { toFirstToolsList: stat(60), firstAnswer: stat(55) }, 'peer-exec': { toFirstToolsList: stat(exec), firstAnswer: stat(exec) },
});
const row = (data: Record<string, unknown>, id: string) => targets(data).find((t) => t.id === id)!;

test('several runs: a row is judged on its median run, and every run\'s figure is kept', () => {
  const data = { coldStart: cold(700, 800), runs: [{ coldStart: cold(500, 800) }, { coldStart: cold(700, 800) }, { coldStart: cold(900, 800) }] };
  const start = row(data, 'start-tools-list-ours');
  assert.equal(start.met, false, 'the median run: 700 ms against 0.75 × 800');
  assert.match(start.ours, /^700 ms = 0\.88× \(median of 3 runs\)$/);
  assert.deepEqual(start.runs, ['500 ms = 0.63×', '700 ms = 0.88×', '900 ms = 1.13×']);
  assert.equal(row({ ...data, runs: [{ coldStart: cold(500, 800) }, { coldStart: cold(550, 800) }, { coldStart: cold(900, 800) }] }, 'start-tools-list-ours').met, true,
    'one slow run out of three does not decide');
});

test('a phase measured again alone after several runs is judged on that one run', () => {
  const data = { coldStart: cold(500, 800), toolsList: undefined, runs: [{ latency: {} }, { latency: {} }, { latency: {} }] };
  const start = row(data, 'start-tools-list-ours');
  assert.equal(start.runs, undefined);
  assert.doesNotMatch(start.ours, /median/);
});

test('HTTP memory is judged inside the Deployment\'s limit; the unlimited host is reported beside it', () => {
  const sessions = (peakMiB: number, secondHalfGrowthMiB: number) => ({ afterStartMiB: 80, afterCallsMiB: peakMiB, peakMiB, secondHalfGrowthMiB, errors: 0, sessions: 50, samples: [] });
  const memory = (inLimit: object) => ({ http: { ours: sessions(180, 9), oursInLimit: { label: 'in the limit', limitMiB: 256, ...inLimit } } });
  const fits = row({ memory: memory(sessions(104, 0.7)) }, 'memory-http');
  assert.equal(fits.met, true, 'the host\'s 180 MiB and its growth are not judged');
  assert.match(fits.reference, /unlimited host \(reported, not judged\): 80 → 180 MiB/);
  assert.equal(row({ memory: memory(sessions(104, 6)) }, 'memory-http').met, false, 'growing over the second half');
  assert.equal(row({ memory: memory(sessions(256, 0)) }, 'memory-http').met, false, 'at the limit');
  assert.equal(row({ memory: memory({ notMeasured: 'no memory cgroup controller on this machine' }) }, 'memory-http').met, false, 'not measured is not met');
});

test('a refresh is judged on its worst round, where the served kinds were read again', () => {
  const refresh = (worstRound: number) => ({ discovery: { start: {}, refresh: { edit: { 30: { perRefresh: 34.1, worstRound } } } } });
  assert.equal(row(refresh(35), 'discovery-refresh-edit').met, true);
  assert.equal(row(refresh(36), 'discovery-refresh-edit').met, false, 'the mean (34.1) would have hidden it');
});
