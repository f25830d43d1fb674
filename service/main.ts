// Entry point of the main process: `node dist/service/main.js`. See README "Running".
import path from 'node:path';
import { Command, Option } from 'commander';
import pino from 'pino';
import { type AuthSettings, authSettingsFromEnv } from '../api/auth.js';
import { DEFAULT_DIMS } from '../builder/vectorize.js';
import { bytesPerSecondFromMBps, DEFAULT_FETCH_POLICY } from '../channel/fetch-policy.js';
import { isNiceness } from '../common/niceness.js';
import { SUPERVISOR_DEFAULTS } from '../supervisor/options.js';
import { markLatestRun, startSystem } from './system.js';
import { writeTokens } from './write-token.js';

const program = new Command()
  .name('tandem')
  .description('Serve GET /recommend/:id/:n from two child processes that swap fetch and answer roles.')
  .option('--data <dir>', 'data directory holding indexes/ and LATEST', 'data')
  .addOption(new Option('--port <port>', 'HTTP port').env('PORT').default('5000'))
  .addOption(new Option('--host <host>', 'HTTP bind address').env('HOST').default('127.0.0.1'))
  .addOption(new Option('--mode <mode>', 'how a child opens an index').choices(['load', 'view']).env('TANDEM_MODE').default('view'))
  .option('--no-standby', 'do not keep the spare child loaded with the served version (saves memory in load mode; no instant failover)')
  .addOption(
    new Option(
      '--fetch-niceness <n>',
      'priority (0-19) of a fetch: its checksum helper, and under Linux autogroup the fetching child itself until the fetch ends; 0 hashes inside the fetching child at normal priority',
    )
      .env('TANDEM_FETCH_NICENESS')
      .default(String(DEFAULT_FETCH_POLICY.niceness)),
  )
  .addOption(
    new Option(
      '--verify-rate <MB/s>',
      'cap on how fast a fetch reads the new version to check it, for a disk it shares; 0 = as fast as it can (default)',
    )
      .env('TANDEM_VERIFY_RATE')
      .default(String(DEFAULT_FETCH_POLICY.verifyBytesPerSecond / 1e6)),
  )
  // Each fetch mechanism can be switched off alone: for the A/B runs that show what it buys.
  .option('--no-fetch-session', "do not lower the fetching child's session priority (Linux autogroup) while it fetches")
  .option('--no-checksum-helper', 'hash a fetched version inside the fetching child instead of in a helper process')
  .option('--no-remember-hashes', 'hash every file on every fetch, even one the other child verified unchanged')
  .addOption(
    new Option(
      '--standby-delay-ms <ms>',
      'how long after a swap the spare child keeps the previous version (for cursors issued before the swap) before loading the served one as hot standby',
    ).default(String(SUPERVISOR_DEFAULTS.standbyDelayMs)),
  )
  .addOption(
    new Option(
      '--max-hold-ms <ms>',
      'how long a query waits when no child answers but one is loading or being promoted, before a 503',
    ).default(String(SUPERVISOR_DEFAULTS.maxHoldMs)),
  )
  .addOption(
    new Option('--spare-answers <on|off>', 'the spare child answers queries too while it holds the served version in standby')
      .choices(['on', 'off'])
      .env('TANDEM_SPARE_ANSWERS')
      .default(SUPERVISOR_DEFAULTS.spareAnswers ? 'on' : 'off'),
  )
  .addOption(
    new Option(
      '--search-threads <n>',
      "threads each child's batch search may use; default: this machine's cores less one, shared by the children that answer",
    ).env('TANDEM_SEARCH_THREADS'),
  )
  .addOption(new Option('--store <file>', 'the profile store (SQLite); default <data>/profiles.db').env('TANDEM_STORE'))
  .addOption(
    new Option('--dims <n>', "the length a profile's own `vector` must have: the builder's --dims")
      .env('TANDEM_DIMS')
      .default(String(DEFAULT_DIMS)),
  )
  .option(
    '--write-token-file <file>',
    'where a write token is generated when TANDEM_WRITE_TOKEN(_FILE) sets none; default <data>/write-token',
  )
  .option('--runs <dir>', 'where each run keeps its trace file', 'run')
  .addOption(new Option('--log-level <level>', 'pino log level').env('LOG_LEVEL').default('info'));
program.parse();
const opts = program.opts<{
  data: string;
  port: string;
  host: string;
  mode: 'load' | 'view';
  runs: string;
  logLevel: string;
  standby: boolean;
  fetchNiceness: string;
  verifyRate: string;
  fetchSession: boolean;
  checksumHelper: boolean;
  rememberHashes: boolean;
  standbyDelayMs: string;
  maxHoldMs: string;
  spareAnswers: 'on' | 'off';
  searchThreads?: string;
  store?: string;
  dims: string;
  writeTokenFile?: string;
}>();

const port = Number(opts.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  program.error(`--port must be 0-65535, got ${opts.port}`);
}

const fetchNiceness = Number(opts.fetchNiceness);
if (!isNiceness(fetchNiceness)) {
  program.error(`--fetch-niceness must be 0-19, got ${opts.fetchNiceness}`);
}

const verifyMBps = Number(opts.verifyRate);
if (opts.verifyRate.trim() === '' || !Number.isFinite(verifyMBps) || verifyMBps < 0) {
  program.error(`--verify-rate must be a number of MB/s >= 0, got ${opts.verifyRate}`);
}

const dims = Number(opts.dims);
if (!Number.isSafeInteger(dims) || dims < 1) program.error(`--dims must be a whole number >= 1, got ${opts.dims}`);

const maxHoldMs = Number(opts.maxHoldMs);
if (!Number.isSafeInteger(maxHoldMs) || maxHoldMs < 0)
  program.error(`--max-hold-ms must be a whole number of ms >= 0, got ${opts.maxHoldMs}`);

const standbyDelayMs = Number(opts.standbyDelayMs);
if (!Number.isSafeInteger(standbyDelayMs) || standbyDelayMs < 0) {
  program.error(`--standby-delay-ms must be a whole number of ms >= 0, got ${opts.standbyDelayMs}`);
}

const searchThreads = opts.searchThreads === undefined ? undefined : Number(opts.searchThreads);
if (searchThreads !== undefined && (!Number.isSafeInteger(searchThreads) || searchThreads < 1)) {
  program.error(`--search-threads must be a whole number >= 1, got ${opts.searchThreads}`);
}

const auth: AuthSettings = (() => {
  try {
    return authSettingsFromEnv(process.env);
  } catch (err) {
    return program.error((err as Error).message);
  }
})();

const log = pino({ name: 'tandem', level: opts.logLevel });
if (auth.loginPassword && !auth.jwtSecret)
  log.info('TANDEM_JWT_SECRET is unset: login tokens are signed with a per-process secret and die with it');
const runDir = path.join(opts.runs, new Date().toISOString().replace(/[:.]/g, '-'));
const dataDir = path.resolve(opts.data);
const system = await startSystem({
  profiles: {
    storePath: path.resolve(opts.store ?? path.join(dataDir, 'profiles.db')),
    dims,
    writeTokens: writeTokens(process.env, path.resolve(opts.writeTokenFile ?? path.join(dataDir, 'write-token')), log),
  },
  ...(process.env.TANDEM_CURSOR_SECRET ? { cursorSecret: process.env.TANDEM_CURSOR_SECRET } : {}),
  auth,
  dataDir,
  runDir,
  port,
  host: opts.host,
  mode: opts.mode,
  standby: opts.standby,
  standbyDelayMs,
  maxHoldMs,
  spareAnswers: opts.spareAnswers === 'on',
  ...(searchThreads !== undefined ? { searchThreads } : {}),
  fetchPolicy: {
    niceness: fetchNiceness,
    verifyBytesPerSecond: bytesPerSecondFromMBps(verifyMBps),
    lowerSession: opts.fetchSession,
    checksumHelper: opts.checksumHelper,
    rememberHashes: opts.rememberHashes,
  },
  log,
  childLogs: process.stdout,
});
markLatestRun(opts.runs, runDir);
log.info({ url: system.url, data: path.resolve(opts.data), mode: opts.mode, trace: system.traceFile }, 'tandem listening');

// Long enough to serve what already sits in the accept backlog, short enough for any orchestrator.
const SHUTDOWN_GRACE_MS = 500;
let signalled = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (signalled) return;
    signalled = true;
    log.info({ signal }, 'shutting down: finishing in-flight requests, stopping children');
    system.stop(SHUTDOWN_GRACE_MS).then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
