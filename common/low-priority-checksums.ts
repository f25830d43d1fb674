// A fetch verifies every file of a version (1.3 GB at 1M profiles, about a second of a core)
// while the other child answers queries on the same cores. Hashing in the fetching child itself
// made p99 inside swap windows 1.5-1.9x the p99 outside them at 1M (BENCHMARKS.md); a helper
// process at lower priority hashes with idle CPU instead.
import { fork } from 'node:child_process';
import { statSync } from 'node:fs';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { ChecksumReply } from './checksum-helper.js';
import { IndexFormatError, hashFilesHere, type HashFiles } from './index-format.js';

const HELPER = fileURLToPath(new URL('./checksum-helper.js', import.meta.url));

/**
 * Below this many bytes in all, files are hashed in the fetching child: starting a helper (a Node
 * process, tens of ms of CPU) costs more than hashing them (64 MiB is about 40 ms here). With a
 * helper for every fetch, p99 in swap windows at 10,000 profiles (6 MB versions) went from
 * 1.23-1.50x to 1.42-1.73x the p99 outside them.
 */
export const HELPER_MIN_BYTES = 64 * 1024 * 1024;

/** Hashes in a helper process at `niceness` (1-19) when the files are large enough; 0 hashes in this process. */
export function hashFilesAtNiceness(niceness: number, helperMinBytes = HELPER_MIN_BYTES): HashFiles {
  if (niceness <= 0) return hashFilesHere;
  return (files) => (totalBytes(files) < helperMinBytes ? hashFilesHere(files) : hashInHelper(files, niceness));
}

/** A file that cannot be stat'ed counts as empty: hashing it reports it as FILE_MISSING. */
function totalBytes(files: string[]): number {
  return files.reduce((sum, file) => sum + (statSync(file, { throwIfNoEntry: false })?.size ?? 0), 0);
}

function hashInHelper(files: string[], niceness: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const helper = fork(HELPER, files, {
      execArgv: [],
      // The helper needs nothing from the environment, and the child's holds the session token.
      env: {},
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    // From here on, Node's own start-up in the helper already runs at the lower priority.
    // Lowering another process of ours needs no privilege; should it fail, hashing still verifies.
    try {
      if (helper.pid !== undefined) setPriority(helper.pid, niceness);
    } catch {
      // Only the effect on the answerer differs.
    }
    const hashes = new Map<string, string>();
    let failure: Error | null = null;
    helper.on('message', (reply: ChecksumReply) => {
      if ('error' in reply) failure ??= new IndexFormatError('FILE_MISSING', `cannot read ${reply.file}: ${reply.error}`);
      else hashes.set(reply.file, reply.sha256);
    });
    helper.on('error', (err) => {
      helper.kill('SIGKILL');
      reject(err);
    });
    // 'close' waits for the IPC channel to close too, so every reply has been seen by then.
    helper.on('close', (code, signal) => {
      if (failure) return reject(failure);
      const missing = files.find((file) => !hashes.has(file));
      if (missing === undefined) return resolve(files.map((file) => hashes.get(file)!));
      reject(new Error(`checksum helper ended (code ${code}, signal ${signal}) before hashing ${missing}`));
    });
  });
}
