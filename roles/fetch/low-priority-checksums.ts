// A fetch verifies every file of a version while the other child answers on the same cores; a
// helper process at a lower priority hashes with idle CPU instead (BENCHMARKS.md, fetch A/B).
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { lowerPriority } from '../../common/niceness.js';
import { IndexFormatError } from '../../index-version/errors.js';
import { type HashFiles, hashFilesHere, hashFilesInProcess } from '../../index-version/verify.js';
import type { ChecksumReply } from './checksum-helper.js';
import { pacePerFile } from './pace.js';

const HELPER = fileURLToPath(new URL('./checksum-helper.js', import.meta.url));

/** Hashes in this process, each file read no faster than `bytesPerSecond` (0: as fast as it can). */
export function hashFilesPaced(bytesPerSecond: number): HashFiles {
  return hashFilesInProcess(pacePerFile(bytesPerSecond));
}

/**
 * Hashes in a helper process at `niceness` (1-19); 0 hashes in this process. Either way each file
 * is read no faster than `bytesPerSecond`; 0 reads as fast as it can.
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
