// The fetch role: load a version, verified, into the child's one slot for an index, as background
// work. What only a fetch uses lives in roles/fetch/; which of it runs is the FetchPolicy's say.
import type { Logger } from 'pino';
import type { FetchPolicy } from '../channel/fetch-policy.js';
import type { ChildToSupervisor, FetchCommand } from '../channel/protocol.js';
import { atSessionNiceness, sessionNiceness } from '../common/niceness.js';
import { IndexFormatError } from '../index-version/errors.js';
import type { HashFiles } from '../index-version/verify.js';
import { hashFilesAtNiceness, hashFilesPaced } from './fetch/low-priority-checksums.js';
import { openLiveChanges, unknownVectorizer, type Vectorize, vectorizerOf } from './fetch/open-live-changes.js';
import { rememberVerified, type VerifiedStats } from './fetch/verified-files.js';
import { HeldIndex } from './held-index.js';
import type { LiveChanges } from './live-changes.js';

/** The child's one index, shared by its roles: the fetch fills it, the answer role reads it. */
export interface IndexSlot {
  held: HeldIndex | null;
  /** The store's changes since `held` was built; null without a store. */
  live: LiveChanges | null;
  /** `held`'s own vectorizer, for a profile not in the store (null: not one this child can run). */
  vectorize: Vectorize | null;
}

/** How the checksum pass runs under `policy`; `stats` says what the last pass hashed. */
function checksumsFor(policy: FetchPolicy, verifiedDir: string | undefined): { hashFiles: HashFiles; stats: () => VerifiedStats | null } {
  const hashFiles = policy.checksumHelper
    ? hashFilesAtNiceness(policy.niceness, policy.verifyBytesPerSecond)
    : hashFilesPaced(policy.verifyBytesPerSecond);
  if (!policy.rememberHashes || !verifiedDir) return { hashFiles, stats: () => null };
  const remembering = rememberVerified(hashFiles, verifiedDir);
  return { hashFiles: remembering, stats: () => remembering.lastStats };
}

/**
 * usearch's Node binding has no close(): a dropped index stays mapped (view) or allocated (load)
 * until V8 collects its small wrapper, which an idle heap may not do for many swaps, each pinning a
 * whole index version. One full collection per fetch releases it before the next one is opened.
 */
function releaseDroppedIndex(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

// Its own frame: a caller that read `slot.held` would still hold the old index in a register while
// it runs the collection, and the collection would keep it (measured: one stale mapping per child).
function dropHeldIndex(slot: IndexSlot): void {
  slot.live?.close();
  slot.live = null;
  slot.vectorize = null;
  slot.held?.close();
  slot.held = null;
}

export function createFetcher(
  policy: FetchPolicy,
  verifiedDir: string | undefined,
  storePath: string | undefined,
  slot: IndexSlot,
  log: Logger,
  expectedDims?: number,
  searchThreads = 1,
) {
  const checksums = checksumsFor(policy, verifiedDir);

  async function open(command: FetchCommand): Promise<ChildToSupervisor> {
    // Drop the old version first: a child holds at most one, which bounds memory during a swap.
    dropHeldIndex(slot);
    releaseDroppedIndex();
    const started = performance.now();
    try {
      const held = await HeldIndex.open(command.path, command.mode, command.version, checksums.hashFiles, searchThreads);
      try {
        if (expectedDims !== undefined && held.dims !== expectedDims)
          throw new IndexFormatError(
            'WRONG_DIMENSIONS',
            `${command.path}: ${held.dims} dimensions; this service takes ${expectedDims} (--dims)`,
          );
        const vectorize = await vectorizerOf(held);
        slot.live = storePath ? await openLiveChanges(held, storePath, vectorize, log) : null;
        slot.vectorize = vectorize === unknownVectorizer ? null : vectorize;
      } catch (err) {
        held.close();
        throw err;
      }
      slot.held = held;
      const loadMs = Math.round(performance.now() - started);
      const { version, count, dims } = held;
      const delta = slot.live && { fromSeq: held.manifest.storeSeq ?? 0, appliedSeq: slot.live.appliedSeq, changed: slot.live.changed };
      log.info({ version, count, dims, mode: command.mode, loadMs, checksums: checksums.stats(), delta }, 'version fetched');
      return { type: 'FETCHED', seq: command.seq, version, count, dims, loadMs };
    } catch (err) {
      const code = err instanceof IndexFormatError ? err.code : 'LOAD_FAILED';
      log.error({ err, version: command.version, code }, 'fetch failed');
      return { type: 'FETCH_FAILED', seq: command.seq, version: command.version, error: (err as Error).message, code };
    }
  }

  /** Loads the version the command names; the reply is FETCHED or FETCH_FAILED. */
  return async function fetchVersion(command: FetchCommand): Promise<ChildToSupervisor> {
    if (!policy.lowerSession) return open(command);
    // The whole fetch is background work: set back before FETCHED, so this child never answers lowered.
    return atSessionNiceness(
      policy.niceness,
      () => open(command),
      (niceness) =>
        log.error(
          { niceness, now: sessionNiceness() },
          "could not set this child's session priority back after a fetch; it answers at low priority",
        ),
    );
  };
}
