// `make bench`: the HTTP serving, engine and swap benchmarks in turn, then BENCHMARKS.md.
// BENCH_ONLY=http,swap,mechanisms,engine,freshness,kills,filters,stats,scale picks steps; BENCH_QUICK=1 is a fast pass on small data.

import { log, QUICK } from './common.js';
import { benchEngine } from './engine.js';
import { benchFilters } from './filters.js';
import { benchFreshness, freshnessDatasets } from './freshness.js';
import { benchHttp, httpDatasets } from './http.js';
import { benchKills } from './kills.js';
import { benchMechanisms } from './mechanisms.js';
import { writeReport } from './report.js';
import { benchScale } from './scale.js';
import { benchStats } from './stats.js';
import { benchSwap, swapDatasets } from './swap.js';

const only = new Set((process.env.BENCH_ONLY ?? 'http,swap,mechanisms,engine,freshness,kills,filters,stats,scale').split(','));
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
await writeReport();
log(`bench done in ${((Date.now() - started) / 60_000).toFixed(1)} min`);
process.exit(0);
