// `make bench`: one run of the serving, swap, freshness, kills, filters, stats and scale benchmarks,
// then BENCHMARKS.md. BENCH_ONLY=http,swap,freshness,kills,filters,stats,scale picks steps; the two
// decision studies (engine, mechanisms) run only when BENCH_ONLY names them: they decide a default
// once and take hours, so the report keeps their last run under its own commit.
// BENCH_QUICK=1 is a fast pass on small data.

import path from 'node:path';
import { log, machine, QUICK, RESULTS, writeJson } from './common.js';
import { benchEngine } from './engine.js';
import { benchFilters } from './filters.js';
import { benchFreshness, freshnessDatasets } from './freshness.js';
import { benchHttp, httpDatasets } from './http.js';
import { benchKills } from './kills.js';
import { benchMechanisms } from './mechanisms.js';
import { writeReport } from './report.js';
import { type BenchRun, RUN_STEPS } from './run-record.js';
import { benchScale } from './scale.js';
import { benchStats } from './stats.js';
import { benchSwap, swapDatasets } from './swap.js';

const steps = process.env.BENCH_ONLY?.split(',') ?? [...RUN_STEPS];
const only = new Set(steps);
const run: BenchRun = { machine: machine(), quick: QUICK, steps, finished: null };
const started = Date.now();
if (only.has('http')) for (const name of httpDatasets()) await benchHttp(name);
if (only.has('swap')) for (const name of swapDatasets()) await benchSwap(name);
// The mechanisms decide at 1M, where a fetch is large enough to hurt; a quick pass on the smallest
// data set checks the pipeline and decides nothing.
if (only.has('mechanisms')) await benchMechanisms(QUICK ? 'demo-2k' : 'demo-1m');
if (only.has('engine')) await benchEngine();
if (only.has('freshness')) for (const name of freshnessDatasets()) await benchFreshness(name);
if (only.has('kills')) await benchKills(QUICK ? 'demo-10k' : 'demo-1m');
if (only.has('filters')) await benchFilters(QUICK ? 'demo-10k' : 'demo-1m');
if (only.has('stats')) await benchStats();
if (only.has('scale')) await benchScale();
run.finished = new Date().toISOString();
writeJson(path.join(RESULTS, 'run.json'), run);
await writeReport();
log(`bench done in ${((Date.now() - started) / 60_000).toFixed(1)} min`);
process.exit(0);
