// The gentle-delete benchmark's stand-in for the builder's retention, run as the builder's work
// runs (runAsBuilder): stages a full copy of a version (written and fsynced, so its pages sit clean
// in the page cache as a just-retired version's do), or deletes one gently or at once.
//   node dist/bench/delete-version.js stage <version dir> <dir>
//   node dist/bench/delete-version.js delete <dir> gentle|at-once    (prints {start, end, mode}, ms since the epoch)
import { copyFile, open, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { deleteGently } from '../builder/gentle-delete.js';
import { lowerPriority } from '../common/niceness.js';
import { ensureDir } from './common.js';
import { PUBLISH_NICENESS } from './datasets.js';

async function stage(fromDir: string, toDir: string): Promise<void> {
  await rm(toDir, { recursive: true, force: true });
  ensureDir(toDir);
  for (const name of await readdir(fromDir)) {
    await copyFile(path.join(fromDir, name), path.join(toDir, name));
    const copy = await open(path.join(toDir, name), 'r+');
    await copy.sync().finally(() => copy.close());
  }
}

const [command, dir, arg] = process.argv.slice(2);
lowerPriority(PUBLISH_NICENESS);
if (command === 'stage' && dir && arg) await stage(dir, arg);
else if (command === 'delete' && dir && (arg === 'gentle' || arg === 'at-once')) {
  const start = Date.now();
  let mode = 'at-once';
  if (arg === 'gentle') mode = await deleteGently(dir, `${path.basename(dir)}.deleting`);
  else await rm(dir, { recursive: true });
  process.stdout.write(`${JSON.stringify({ start, end: Date.now(), mode })}\n`);
} else {
  process.stderr.write('usage: delete-version.js stage <version dir> <dir> | delete <dir> gentle|at-once\n');
  process.exit(2);
}
