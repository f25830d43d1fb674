// A child learns who it is from its environment: the token never appears on a command line
// (visible to every user in `ps`) nor in a log.
import { CHANNEL_DEFAULTS } from './defaults.js';
import { DEFAULT_FETCH_POLICY, type FetchPolicy, parseFetchPolicy } from './fetch-policy.js';

export interface ChildConfig {
  slot: number;
  controlEndpoint: string;
  queryEndpoint: string;
  token: string;
  heartbeatMs: number;
  orphanMs: number;
  sendTimeoutMs: number;
  fetchPolicy: FetchPolicy;
  /** Where verified files' hashes are remembered, shared by both children (roles/fetch/verified-files.ts). */
  verifiedDir?: string;
  /** The profile store, read-only: a child serves its changes since its version (roles/live-changes.ts). */
  storePath?: string;
  liveChangesPollMs: number;
  /** The vector size the service takes (its --dims): a version of another size is refused on its merits. */
  expectedDims?: number;
  /** Threads a batch search may use (defaults.ts searchThreadsFor). */
  searchThreads: number;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set: a child is started by the supervisor, not by hand`);
  return value;
}

function milliseconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a whole number of ms > 0, got ${raw}`);
  return value;
}

function count(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a whole number > 0, got ${raw}`);
  return value;
}

export function readChildConfig(env: NodeJS.ProcessEnv): ChildConfig {
  const slot = Number(required(env, 'TANDEM_SLOT'));
  if (!Number.isInteger(slot) || slot < 0 || slot > 9) throw new Error(`TANDEM_SLOT must be 0-9, got ${env.TANDEM_SLOT}`);
  return {
    slot,
    controlEndpoint: required(env, 'TANDEM_CONTROL'),
    queryEndpoint: required(env, 'TANDEM_QUERY'),
    token: required(env, 'TANDEM_TOKEN'),
    heartbeatMs: milliseconds(env, 'TANDEM_HEARTBEAT_MS', CHANNEL_DEFAULTS.heartbeatMs),
    orphanMs: milliseconds(env, 'TANDEM_ORPHAN_MS', CHANNEL_DEFAULTS.orphanMs),
    sendTimeoutMs: milliseconds(env, 'TANDEM_SEND_TIMEOUT_MS', CHANNEL_DEFAULTS.sendTimeoutMs),
    fetchPolicy: env.TANDEM_FETCH_POLICY ? parseFetchPolicy(env.TANDEM_FETCH_POLICY) : DEFAULT_FETCH_POLICY,
    ...(env.TANDEM_VERIFIED_DIR ? { verifiedDir: env.TANDEM_VERIFIED_DIR } : {}),
    ...(env.TANDEM_LIVE_STORE ? { storePath: env.TANDEM_LIVE_STORE } : {}),
    liveChangesPollMs: milliseconds(env, 'TANDEM_LIVE_POLL_MS', CHANNEL_DEFAULTS.liveChangesPollMs),
    ...(env.TANDEM_EXPECTED_DIMS ? { expectedDims: Number(env.TANDEM_EXPECTED_DIMS) } : {}),
    // A child started without the setting searches as it always did: one thread.
    searchThreads: count(env, 'TANDEM_SEARCH_THREADS', 1),
  };
}

export function childEnv(config: ChildConfig): Record<string, string> {
  return {
    TANDEM_SLOT: String(config.slot),
    TANDEM_CONTROL: config.controlEndpoint,
    TANDEM_QUERY: config.queryEndpoint,
    TANDEM_TOKEN: config.token,
    TANDEM_HEARTBEAT_MS: String(config.heartbeatMs),
    TANDEM_ORPHAN_MS: String(config.orphanMs),
    TANDEM_SEND_TIMEOUT_MS: String(config.sendTimeoutMs),
    TANDEM_FETCH_POLICY: JSON.stringify(config.fetchPolicy),
    ...(config.verifiedDir ? { TANDEM_VERIFIED_DIR: config.verifiedDir } : {}),
    ...(config.storePath ? { TANDEM_LIVE_STORE: config.storePath } : {}),
    TANDEM_LIVE_POLL_MS: String(config.liveChangesPollMs),
    ...(config.expectedDims !== undefined ? { TANDEM_EXPECTED_DIMS: String(config.expectedDims) } : {}),
    TANDEM_SEARCH_THREADS: String(config.searchThreads),
  };
}
