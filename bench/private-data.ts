// A private copy of a data set's served version for benchmarks that run tandem: tandem creates its
// store and write token in its data directory, and the cached data set is shared with other runs.
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CACHE, ensureDir } from './common.js';
import { type DatasetName, prepareDataset } from './datasets.js';

export async function privateData(name: DatasetName, purpose: string): Promise<{ dataDir: string; idsFile: string }> {
  const dataset = await prepareDataset(name);
  const dataDir = path.join(CACHE, purpose, name, 'data');
  const version = readFileSync(path.join(dataset.dataDir, 'indexes', 'LATEST'), 'utf8').trim();
  const target = path.join(dataDir, 'indexes', version);
  if (!existsSync(target)) {
    ensureDir(path.dirname(target));
    cpSync(path.join(dataset.dataDir, 'indexes', version), target, { recursive: true });
    writeFileSync(path.join(dataDir, 'indexes', 'LATEST'), `${version}\n`);
  }
  return { dataDir, idsFile: dataset.idsFile };
}
