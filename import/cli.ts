// `node dist/import/cli.js <file|-> [options]`: profiles from NDJSON, CSV or the original service's
// pickle into the store file (one transaction: all good records or none), or with --url into a
// running service through POST /profiles/bulk. See README "Importing profiles".
// Exit 0 when it ran (rejected records included), 1 on a fatal error, 2 on bad usage, 130/143 when interrupted.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import pino from 'pino';
import { writeTokensFromEnv } from '../api/auth.js';
import type { ImportTransaction } from '../store/import-transaction.js';
import { ProfileStore } from '../store/profile-store.js';
import { importOverHttp } from './bulk-import.js';
import { chooseFormat, FORMATS, type Format } from './formats.js';
import { ImportError } from './import-errors.js';
import { ImportReport } from './import-report.js';
import { openInput } from './input.js';
import { openSource } from './open-source.js';
import { DEFAULT_PROGRESS_EVERY_MS, LogSink, type Progress, type ProgressSubject, startProgress } from './progress.js';
import type { RecordSource } from './record-source.js';
import { DEFAULT_RETRY_POLICY } from './retry.js';
import { importIntoStore } from './store-import.js';

interface CliOptions {
  format?: Format;
  store: string;
  url?: string;
  tokenFile?: string;
  concurrency: number;
  batch: number;
  timeoutMs: number;
  retries: number;
  ifEmpty: boolean;
  progressMs: number;
}

/** The store's own wait is 250 ms (it runs beside the API); an import can wait for a lock longer. */
const STORE_BUSY_TIMEOUT_MS = 5000;

function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    return n;
  };
}

function httpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('expected a URL such as http://127.0.0.1:5000');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('expected an http:// or https:// URL');
  return url.href;
}

function parseArgs(argv: string[]): { file: string; options: CliOptions } {
  const program = new Command()
    .name('import')
    .description('import profiles from NDJSON, CSV or a pickle into the profile store, or into a running service with --url')
    .argument('<file>', 'the input file, or - for standard input')
    .addOption(new Option('--format <format>', 'input format (default: from the extension, else from the first bytes)').choices(FORMATS))
    .addOption(new Option('--store <file>', 'the profile store to write (direct mode)').env('TANDEM_STORE').default('data/profiles.db'))
    .option('--url <url>', 'send to a running service (POST /profiles/bulk) instead of writing the store file', httpUrl)
    .option('--token-file <file>', 'with --url: file holding the write token (default: TANDEM_WRITE_TOKEN or TANDEM_WRITE_TOKEN_FILE)')
    .option('--concurrency <n>', 'with --url: batches in flight at once', integer(1, 64), 4)
    .option('--batch <n>', 'with --url: records per request', integer(1, 100_000), 500)
    .option('--timeout-ms <ms>', 'with --url: time for one request and its whole answer', integer(1), 10_000)
    .option('--retries <n>', 'with --url: retries of a batch on 503, 429, a timeout or a lost connection', integer(0, 100), 5)
    .option('--if-empty', 'direct mode: do nothing when the store already holds profiles (seeding demo data once)', false)
    .addOption(
      new Option('--progress-ms <ms>', 'interval of progress log lines when stderr is not a terminal')
        .argParser(integer(10))
        .default(DEFAULT_PROGRESS_EVERY_MS)
        .hideHelp(),
    )
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .parse(argv);
  const options = program.opts<CliOptions>();
  if (options.url && options.ifEmpty) program.error('--if-empty works on the store file only, not with --url');
  return { file: program.args[0]!, options };
}

/** The first token configured: from --token-file, else TANDEM_WRITE_TOKEN(_FILE) as the service reads them. */
function writeToken(tokenFile: string | undefined): string {
  let tokens: string[];
  try {
    tokens = tokenFile ? readFileSync(tokenFile, 'utf8').split('\n') : writeTokensFromEnv(process.env);
  } catch (err) {
    throw new ImportError('TANDEM_ERR_IMPORT_NO_TOKEN', `cannot read the write token: ${(err as Error).message}`, { cause: err });
  }
  const token = tokens.map((t) => t.trim()).find(Boolean);
  if (!token) {
    throw new ImportError(
      'TANDEM_ERR_IMPORT_NO_TOKEN',
      '--url needs a write token: --token-file, TANDEM_WRITE_TOKEN or TANDEM_WRITE_TOKEN_FILE',
    );
  }
  return token;
}

const { file, options } = parseArgs(process.argv);
const sink = new LogSink(process.stderr);
const log = pino({ name: 'import', level: process.env.LOG_LEVEL ?? 'info' }, sink);
const interrupt = new AbortController();
// What a signal handler or the fatal path must reach while run() is under way.
const running: { progress: Progress | null; transaction: ImportTransaction | null; report: ImportReport | null } = {
  progress: null,
  transaction: null,
  report: null,
};
const startedAt = Date.now();

/** The counts so far; in direct mode, records of a transaction that did not commit are rolled back, not written. */
function summary(committed: boolean) {
  const counts = running.report?.summary(options.url !== undefined);
  const rolledBack = !options.url && !committed && counts ? { written: 0, rolledBack: counts.written } : {};
  return { ...counts, ...rolledBack, ms: Date.now() - startedAt };
}

async function runOverHttp(url: string, source: RecordSource, report: ImportReport, subject: ProgressSubject): Promise<void> {
  const token = writeToken(options.tokenFile);
  running.progress = startProgress(sink, log, subject, options.progressMs);
  // A pickle is read to its end first: a refused or damaged one sends nothing at all.
  await source.verify?.();
  await importOverHttp(source, report, {
    url,
    token,
    batch: options.batch,
    concurrency: options.concurrency,
    timeoutMs: options.timeoutMs,
    retry: { ...DEFAULT_RETRY_POLICY, retries: options.retries },
    log,
    signal: interrupt.signal,
  });
}

/** false when --if-empty found profiles and nothing was imported. */
async function runIntoStore(source: RecordSource, report: ImportReport, subject: ProgressSubject): Promise<boolean> {
  const store = ProfileStore.open(options.store, { busyTimeoutMs: STORE_BUSY_TIMEOUT_MS });
  try {
    running.progress = startProgress(sink, log, subject, options.progressMs);
    const outcome = await importIntoStore(source, store, report, {
      ifEmpty: options.ifEmpty,
      onBegin: (transaction) => {
        running.transaction = transaction;
      },
    });
    if (outcome.imported) return true;
    running.progress.stop();
    log.info({ profiles: outcome.profilesInStore }, '--if-empty: the store already holds profiles; nothing imported');
    return false;
  } finally {
    store.close();
  }
}

async function run(): Promise<void> {
  if (options.url) writeToken(options.tokenFile); // no token: fail before reading anything
  const input = await openInput(file);
  const format = chooseFormat(file, input.head, options.format);
  const source = openSource(format, input);
  const report = new ImportReport(log, source.positionName);
  running.report = report;
  const target = options.url ? { url: options.url } : { store: path.resolve(options.store) };
  log.info({ input: input.name, format, ...target }, 'import started');
  const subject: ProgressSubject = {
    report,
    bytes: format !== 'pickle' && input.totalBytes !== null ? { read: () => input.bytesRead, total: input.totalBytes } : null,
    withRetries: options.url !== undefined,
  };
  if (options.url) await runOverHttp(options.url, source, report, subject);
  else if (!(await runIntoStore(source, report, subject))) return;
  running.progress?.stop();
  log.info(summary(true), 'import finished');
}

for (const [signal, exitCode] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(signal, () => {
    running.progress?.stop();
    interrupt.abort(new Error(`interrupted by ${signal}`));
    // Nothing of the transaction is kept (SQLite would drop it anyway); rolled back to say so plainly.
    running.transaction?.rollback();
    const kept = options.url ? 'records the service acknowledged stay written' : 'rolled back: nothing written';
    log.warn({ signal, ...summary(false) }, `interrupted: ${kept}`);
    process.exit(exitCode);
  });
}

try {
  await run();
  process.exit(0);
} catch (err) {
  running.progress?.stop();
  const code = (err as { code?: unknown }).code;
  const global = (err as { global?: unknown }).global;
  const message = err instanceof Error ? err.message : String(err);
  const outcome = options.url ? `${running.report?.written ?? 0} records written before it stopped` : 'nothing written';
  log.fatal(
    { ...(typeof code === 'string' ? { code } : {}), ...(typeof global === 'string' ? { global } : {}), error: message, ...summary(false) },
    'import failed',
  );
  process.stderr.write(`import: ${message} (${outcome})\n`);
  process.exit(1);
}
