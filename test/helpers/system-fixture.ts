// A whole running system for a test: its own data dir, demo profiles, first index version,
// real child processes and an HTTP port chosen by the OS. Torn down by the test that made it.
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { Test } from 'tap';
import { buildIndex } from '../../builder/build.js';
import { writeProfilesJsonl } from '../../builder/generate.js';
import { writeLatest } from '../../builder/publish.js';
import type { ProfileSource } from '../../builder/sources.js';
import { DEFAULT_DIMS } from '../../builder/vectorize.js';
import { type Manifest, versionDir } from '../../index-version/format.js';
import type { Profile } from '../../profiles/schema.js';
import { type RunningSystem, type SystemOptions, startSystem } from '../../service/system.js';
import { ProfileStore } from '../../store/profile-store.js';
import type { SupervisorStatus } from '../../supervisor/supervisor.js';
import { waitFor } from './wait.js';

export interface FixtureOptions {
  count?: number;
  seed?: number;
  /** Publish the first version before starting (default true). */
  publish?: boolean;
  /** Runs after the first publish, before the system starts: e.g. publish a damaged version. */
  beforeStart?: (fx: Pick<Fixture, 'publish' | 'publishDamaged'>) => Promise<void>;
  system?: Partial<SystemOptions>;
  /** A profile store in the test's folder, writable with these tokens: the write API is on. */
  writeTokens?: string[];
  /** Seed the store with the profiles and build every version from it (needs writeTokens), not from the file. */
  fromStore?: boolean;
  /** Writes the profile source instead of the demo generator (then `dims` says their vector size). */
  writeSource?: (file: string) => Promise<void>;
  dims?: number;
  /** The length the write API wants of a profile's own vector (the service's --dims); default `dims`, else 128. */
  vectorDims?: number;
}

export interface Reply<Body> {
  status: number;
  headers: Headers;
  body: Body;
}

export interface Fixture {
  dir: string;
  dataDir: string;
  source: string;
  storePath: string;
  system: RunningSystem;
  ids: string[];
  log: pino.Logger;
  publish(): Promise<Manifest>;
  /** Builds a version elsewhere, damages it, then publishes it as a faulty builder would. */
  publishDamaged(damage: (dir: string) => void): Promise<Manifest>;
  status(): Promise<SupervisorStatus>;
  /** A GET on the API; `Body` is the shape the caller expects of the JSON (unchecked; a non-JSON reply's body is its text). */
  get<Body = unknown>(pathname: string): Promise<Reply<Body>>;
  waitServing(version: string, timeoutMs?: number): Promise<SupervisorStatus>;
}

export async function startFixture(t: Test, options: FixtureOptions = {}): Promise<Fixture> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-test-'));
  const dataDir = path.join(dir, 'data');
  const source = path.join(dataDir, 'profiles.jsonl');
  const log = pino({ level: 'info' }, pino.destination({ dest: path.join(dir, 'main.log'), mkdir: true, sync: false }));
  const childLogs = createWriteStream(path.join(dir, 'children.log'));
  if (options.writeSource) {
    mkdirSync(dataDir, { recursive: true });
    await options.writeSource(source);
  } else {
    await writeProfilesJsonl(source, options.count ?? 300, options.seed ?? 7);
  }
  const ids = readFileSync(source, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { _id: string })._id);
  const storePath = path.join(dir, 'profiles.db');
  if (options.fromStore) {
    const seeding = ProfileStore.open(storePath);
    try {
      seeding.putMany(
        readFileSync(source, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Profile),
      );
    } finally {
      seeding.close();
    }
  }
  const buildFrom: ProfileSource = options.fromStore ? { kind: 'store', path: storePath } : { kind: 'file', path: source };
  const publish = () => buildIndex({ source: buildFrom, dataDir, logger: log, threads: 1, dims: options.dims });
  const publishDamaged = async (damage: (dir: string) => void) => {
    const scratch = path.join(dir, 'scratch');
    const manifest = await buildIndex({ source: buildFrom, dataDir: scratch, logger: log, threads: 1, dims: options.dims });
    damage(versionDir(scratch, manifest.version));
    renameSync(versionDir(scratch, manifest.version), versionDir(dataDir, manifest.version));
    await writeLatest(dataDir, manifest.version);
    return manifest;
  };
  if (options.publish ?? true) await publish();
  await options.beforeStart?.({ publish, publishDamaged });
  const system = await startSystem({
    dataDir,
    runDir: path.join(dir, 'run'),
    port: 0,
    host: '127.0.0.1',
    mode: 'view',
    log,
    childLogs,
    ...(options.writeTokens
      ? { profiles: { storePath, writeTokens: options.writeTokens, dims: options.vectorDims ?? options.dims ?? DEFAULT_DIMS } }
      : {}),
    ...options.system,
  });
  t.teardown(async () => {
    await system.stop();
    childLogs.end();
    log.flush();
    if (!process.env.TANDEM_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
  });
  const get = async <Body = unknown>(pathname: string): Promise<Reply<Body>> => {
    const response = await fetch(system.url + pathname, { signal: AbortSignal.timeout(10_000) });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: the assertion on it will say so
    }
    return { status: response.status, headers: response.headers, body: body as Body };
  };
  const status = async () => (await get<SupervisorStatus>('/status')).body;
  return {
    dir,
    dataDir,
    source,
    storePath,
    system,
    ids,
    log,
    publish,
    publishDamaged,
    status,
    get,
    waitServing: (version, timeoutMs = 30_000) =>
      waitFor(
        `version ${version} served`,
        async () => {
          const s = await status();
          return s.servingVersion === version && s.state === 'serving' ? s : null;
        },
        timeoutMs,
      ),
  };
}
