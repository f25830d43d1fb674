// How a child fetches a version so that the fetch takes idle CPU and I/O, not the answerer's.
// One object, made by the supervisor and handed to the child whole; each field is one mechanism,
// so each can be switched off alone (the benchmark's A/B runs do; BENCHMARKS.md has what each buys).
import { isNiceness } from '../common/niceness.js';

export interface FetchPolicy {
  /** Niceness (0-19) of fetch work; 0 runs it at normal priority. */
  niceness: number;
  /** Lower the fetching child's whole session (Linux autogroup) to `niceness` until the fetch ends. */
  lowerSession: boolean;
  /** Hash the version in a short-lived helper process at `niceness` instead of in the child. */
  checksumHelper: boolean;
  /** The checksum pass reads no faster than this; 0: unpaced. An I/O cap, off by default. */
  verifyBytesPerSecond: number;
  /** Skip hashing a file the other child already verified and that has not changed since. */
  rememberHashes: boolean;
}

export const DEFAULT_FETCH_POLICY: FetchPolicy = {
  // The lowest: nobody waits on a fetch but the next swap.
  niceness: 19,
  lowerSession: true,
  checksumHelper: true,
  // Off: at 1M profiles a pass paced to 250 MB/s bought nothing over an unpaced one (BENCHMARKS.md, section 4).
  verifyBytesPerSecond: 0,
  rememberHashes: true,
};

/** MB/s as given on the command line; a rate too small for a byte per second still paces (1 B/s). */
export function bytesPerSecondFromMBps(mbps: number): number {
  return mbps > 0 ? Math.max(1, Math.round(mbps * 1e6)) : 0;
}

/** The policy as it travels in the child's environment, checked field by field. */
export function parseFetchPolicy(raw: string): FetchPolicy {
  const value = JSON.parse(raw) as Partial<Record<keyof FetchPolicy, unknown>>;
  const { niceness, lowerSession, checksumHelper, verifyBytesPerSecond, rememberHashes } = value;
  if (typeof niceness !== 'number' || !isNiceness(niceness)) throw new Error(`fetch policy: niceness must be 0-19, got ${niceness}`);
  if (typeof verifyBytesPerSecond !== 'number' || !Number.isSafeInteger(verifyBytesPerSecond) || verifyBytesPerSecond < 0) {
    throw new Error(`fetch policy: verifyBytesPerSecond must be an integer >= 0, got ${verifyBytesPerSecond}`);
  }
  for (const [name, flag] of Object.entries({ lowerSession, checksumHelper, rememberHashes })) {
    if (typeof flag !== 'boolean') throw new Error(`fetch policy: ${name} must be true or false, got ${flag}`);
  }
  return {
    niceness,
    verifyBytesPerSecond,
    lowerSession: !!lowerSession,
    checksumHelper: !!checksumHelper,
    rememberHashes: !!rememberHashes,
  };
}
