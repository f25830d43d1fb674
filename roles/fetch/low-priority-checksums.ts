// A fetch verifies every file of a version (1.3 GB at 1M profiles, about a second of a core)
// while the other child answers queries on the same cores. Hashing in the fetching child itself
// made p99 inside swap windows 1.5-1.9x the p99 outside them at 1M (BENCHMARKS.md); a helper
// process at lower priority hashes with idle CPU instead. Also for small versions: hashing a 6 MB
// version in the child instead of starting a helper was measured worse at 10k (p99 in/out 2.1-2.7x
// against 1.4-1.6x), although the fetch took half as long.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { lowerPriority } from '../../common/niceness.js';
import { type HashFiles, hashFilesHere, hashFilesPaced, IndexFormatError } from '../../index-version/format.js';
import type { ChecksumReply } from './checksum-helper.js';

const HELPER = fileURLToPath(new URL('./checksum-helper.js', import.meta.url));

/**
 * Hashes in a helper process at `niceness` (1-19); 0 hashes in this process. Either way each file
 * is read no faster than `bytesPerSecond` (roles/fetch/pace.ts); 0 reads as fast as it can.
 */
export function hashFilesAtNiceness(niceness: number, bytesPerSecond = 0): HashFiles {
  if (niceness <= 0) return bytesPerSecond > 0 ? hashFilesPaced(bytesPerSecond) : hashFilesHere;
  return (files) => hashInHelper(files, niceness, bytesPerSecond);
}

function hashInHelper(files: string[], niceness: number, bytesPerSecond: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const helper = fork(HELPER, [String(bytesPerSecond), ...files], {
      execArgv: [],
      // The helper needs nothing from the environment, and the child's holds the session token.
      env: {},
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    // From here on, Node's own start-up in the helper already runs at the lower priority.
    // Should lowering it fail, hashing still verifies.
    if (helper.pid !== undefined) lowerPriority(niceness, helper.pid);
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
