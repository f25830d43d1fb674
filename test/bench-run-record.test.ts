// The report says which tables the latest `make bench` run measured: a table written during the run
// is this run's, one written before it an earlier run's (or a study's), whatever its section.
import t from 'tap';
import type { Machine } from '../bench/common.js';
import { type BenchRun, RUN_STEPS, runCommand, tableOrigin } from '../bench/run-record.js';

const at = (date: string): Machine => ({ commit: 'abc1234', date, cores: 2, cpuModel: 'test', memoryGiB: 1, node: 'v20' });
const run: BenchRun = {
  machine: at('2026-12-07T03:20:00.000Z'),
  quick: false,
  steps: [...RUN_STEPS],
  finished: '2026-12-07T05:05:00.000Z',
};

t.test('a table written between the run start and its end is this run', async (t) => {
  t.equal(tableOrigin('http', at('2026-12-07T03:33:00.000Z'), run), 'this run');
  t.equal(tableOrigin('scale', at('2026-12-07T05:05:00.000Z'), run), 'this run', 'the end is inclusive');
});

t.test('a table from before the run is an earlier run, or a study for the engine and mechanism sections', async (t) => {
  t.equal(tableOrigin('swap', at('2026-12-06T23:29:00.000Z'), run), 'earlier run');
  t.equal(tableOrigin('engine', at('2026-11-24T11:23:00.000Z'), run), 'study, run on its own');
  t.equal(tableOrigin('mechanisms', at('2026-12-07T02:03:00.000Z'), run), 'study, run on its own');
  t.equal(
    tableOrigin('http', at('2026-12-07T05:30:00.000Z'), run),
    'earlier run',
    'after the run ended: a later BENCH_ONLY step, not this run',
  );
});

t.test('a run that never finished, or no run record, claims no table', async (t) => {
  t.equal(tableOrigin('http', at('2026-12-07T03:33:00.000Z'), { ...run, finished: null }), 'earlier run');
  t.equal(tableOrigin('http', at('2026-12-07T03:33:00.000Z'), null), 'earlier run');
});

t.test('the command names only what differs from a plain make bench', async (t) => {
  t.equal(runCommand(run), 'make bench');
  t.equal(runCommand({ ...run, quick: true }), 'BENCH_QUICK=1 make bench');
  t.equal(runCommand({ ...run, steps: ['swap'] }), 'BENCH_ONLY=swap make bench');
});
