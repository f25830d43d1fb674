// The swap benchmark's stand-in for the builder: publishes a copy of a cached version, in a
// process of its own at the builder's priority (builder/main.ts --niceness), so a publish costs
// the service what a co-located builder's would, no more.
//   node dist/bench/republish.js <version dir> <data dir>
import { lowerPriority } from '../common/niceness.js';
import { PUBLISH_NICENESS, republish } from './datasets.js';

const [fromDir, dataDir] = process.argv.slice(2);
if (!fromDir || !dataDir) {
  process.stderr.write('usage: republish.js <version dir> <data dir>\n');
  process.exit(2);
}
lowerPriority(PUBLISH_NICENESS);
const manifest = await republish(fromDir, dataDir);
process.stdout.write(`${manifest.version}\n`);
