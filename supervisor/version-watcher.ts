// Watches <data>/indexes/LATEST by polling: fs.watch misses atomic renames on some file
// systems, and a read every few hundred ms costs nothing.
import type { Logger } from 'pino';
import { listVersions, readLatest, versionDir } from '../index-version/format.js';

/** Older complete versions announced at start, as fallbacks should LATEST prove bad. */
const FALLBACK_VERSIONS = 3;

export function watchLatestVersion(
  dataDir: string,
  pollMs: number,
  onVersion: (version: string, path: string) => void,
  log: Logger,
): () => void {
  let last: string | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let first = true;
  const poll = async () => {
    try {
      const latest = await readLatest(dataDir);
      if (first && latest !== null) {
        first = false;
        const older = (await listVersions(dataDir)).filter((version) => version < latest).slice(-FALLBACK_VERSIONS);
        for (const version of older) if (!stopped) onVersion(version, versionDir(dataDir, version));
      }
      if (!stopped && latest !== null && latest !== last) {
        last = latest;
        onVersion(latest, versionDir(dataDir, latest));
      }
    } catch (err) {
      log.warn({ err }, 'cannot read LATEST');
    }
    if (!stopped) timer = setTimeout(poll, pollMs);
  };
  void poll();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
