// The swap benchmark's stand-in for the builder: publishes a copy of a cached version, in a
// process of its own at the builder's priority (builder/main.ts --niceness), so a publish costs
// the service what a co-located builder's would, no more.
//   node dist/bench/republish.js <version dir> <data dir>
import { BACKGROUND_NICENESS, lowerPriority } from '../common/niceness.js';
import { republish } from './datasets.js';

const [fromDir, dataDir] = process.argv.slice(2);
if (!fromDir || !dataDir) {
  process.stderr.write('usage: republish.js <version dir> <data dir>\n');
  process.exit(2);
}
// BENCH_PUBLISH_NICENESS=0: what a builder at normal priority costs the service.
lowerPriority(Number(process.env.BENCH_PUBLISH_NICENESS ?? BACKGROUND_NICENESS));
const manifest = await republish(fromDir, dataDir);
process.stdout.write(`${manifest.version}\n`);
