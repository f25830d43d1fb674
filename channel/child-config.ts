// A child learns who it is from its environment: the token never appears on a command line
// (visible to every user in `ps`) nor in a log.
import { FETCH_NICENESS, isNiceness } from '../common/niceness.js';

export interface ChildConfig {
  slot: number;
  controlEndpoint: string;
  queryEndpoint: string;
  token: string;
  heartbeatMs: number;
  orphanMs: number;
  sendTimeoutMs: number;
  /** Priority of a fetch (0-19): its checksum helper, and this child's session while it fetches; 0 verifies in the child at normal priority. */
  fetchNiceness: number;
  /** How fast the checksum pass may read a fetched version, bytes per second; 0: unpaced. */
  verifyBytesPerSecond: number;
  /** Where verified files' hashes are remembered, shared by both children (roles/fetch/verified-files.ts); unset: none. */
  verifiedDir?: string;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set: a child is started by the supervisor, not by hand`);
  return value;
}

function niceness(raw: string): number {
  const value = Number(raw);
  if (!isNiceness(value)) throw new Error(`TANDEM_FETCH_NICENESS must be 0-19, got ${raw}`);
  return value;
}

function bytesPerSecond(raw: string): number {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`TANDEM_VERIFY_BYTES_PER_SECOND must be an integer >= 0, got ${raw}`);
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
    heartbeatMs: Number(env.TANDEM_HEARTBEAT_MS ?? 500),
    orphanMs: Number(env.TANDEM_ORPHAN_MS ?? 5000),
    sendTimeoutMs: Number(env.TANDEM_SEND_TIMEOUT_MS ?? 1000),
    fetchNiceness: niceness(env.TANDEM_FETCH_NICENESS ?? String(FETCH_NICENESS)),
    verifyBytesPerSecond: bytesPerSecond(env.TANDEM_VERIFY_BYTES_PER_SECOND ?? '0'),
    ...(env.TANDEM_VERIFIED_DIR ? { verifiedDir: env.TANDEM_VERIFIED_DIR } : {}),
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
    TANDEM_FETCH_NICENESS: String(config.fetchNiceness),
    TANDEM_VERIFY_BYTES_PER_SECOND: String(config.verifyBytesPerSecond),
    ...(config.verifiedDir ? { TANDEM_VERIFIED_DIR: config.verifiedDir } : {}),
  };
}
