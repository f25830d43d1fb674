// The builder process: `node dist/builder/main.js --store data/profiles.db --data data` (or
// `--source profiles.jsonl`). One-shot by default (build, publish, exit); `--watch` keeps running
// and publishes a new version whenever the source changes (and every N seconds with `--every`).
import { Command, InvalidArgumentError, Option } from 'commander';
import pino, { type Logger } from 'pino';
import { BACKGROUND_NICENESS, lowerPriority } from '../common/niceness.js';
import { readLatest, versionDir } from '../index-version/format.js';
import { readVerifiedManifest } from '../index-version/verify.js';
import { buildIndex } from './build.js';
import { isBuilderError } from './errors.js';
import { DEFAULT_INCREMENTAL_MAX_FRACTION } from './incremental-build.js';
import { stopWhenParentGone } from './parent-watch.js';
import { RebuildScheduler } from './rebuild-scheduler.js';
import { DEFAULT_KEEP } from './retention.js';
import { watchSource } from './source-watch.js';
import type { ProfileSource } from './sources.js';

interface CliOptions {
  source?: string;
  store?: string;
  maxDelayMs: number;
  data: string;
  dims?: number;
  vectorizer?: string;
  watch: boolean;
  every?: number;
  debounceMs: number;
  pollMs: number;
  keep: number;
  threads?: number;
  efSearch?: number;
  connectivity?: number;
  batchSize?: number;
  incremental: number;
  niceness: number;
  exitWithParent: boolean;
}

function integer(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer >= ${min}`);
    return n;
  };
}

function integerIn(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer ${min}-${max}`);
    return n;
  };
}

function fraction(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('expected a number 0-1');
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number > 0');
  return n;
}

function parseArgs(argv: string[]): CliOptions {
  return new Command()
    .name('builder')
    .description('build and publish tandem index versions from the profile store or a JSONL file')
    .addOption(new Option('--store <file>', 'the profile store (SQLite) to build from').env('TANDEM_STORE').conflicts('source'))
    .option('--source <file>', 'a file of profiles, one JSON object per line, instead of the store')
    .option('--data <dir>', 'data directory (versions go to <data>/indexes)', 'data')
    .option('--dims <n>', "vector dimensions (default: the vectorizer's, 128 built in)", integer(1))
    .option('--vectorizer <module>', 'ES module exporting vectorize(profile) and optionally dims')
    .option('--watch', 'keep running and publish when the source changes', false)
    .option('--every <seconds>', 'with --watch: also republish every N seconds', positiveNumber)
    .option('--debounce-ms <ms>', 'with --watch: quiet time after a source change before building', integer(0), 500)
    .option(
      '--max-delay-ms <ms>',
      'with --watch: build at the latest this long after a change, however busy the writes (live changes are served meanwhile)',
      integer(0),
      10_000,
    )
    .addOption(new Option('--poll-ms <ms>', 'with --watch: source polling interval').argParser(integer(10)).default(300))
    .option(
      '--incremental <fraction>',
      'from the store: build from the latest version when at most this fraction of its profiles changed since (0: always from scratch)',
      fraction,
      DEFAULT_INCREMENTAL_MAX_FRACTION,
    )
    .option('--keep <n>', 'versions to keep on disk', integer(1), DEFAULT_KEEP)
    .option('--threads <n>', 'threads for index construction (default: all cores)', integer(1))
    .option('--ef-search <n>', 'search expansion (default: the smallest that measures recall@10 >= 0.99 on this build)', integer(1))
    .option(
      '--connectivity <n>',
      "graph links per node, M (default 16; 32 was 15% faster at recall 0.99 on the benchmark's harder data, see BENCHMARKS.md)",
      integerIn(2, 64),
    )
    .addOption(
      new Option(
        '--niceness <n>',
        'CPU priority (0-19) to build, publish and delete old versions at, below the service answering queries on the same cores',
      )
        .argParser(integerIn(0, 19))
        .env('TANDEM_BUILDER_NICENESS')
        .default(BACKGROUND_NICENESS),
    )
    .option(
      '--no-exit-with-parent',
      'keep running when the process that started the builder is gone (by default it stops, as the service children do)',
    )
    .addOption(new Option('--batch-size <n>', 'records per index add() batch').argParser(integer(1)).hideHelp())
    .parse(argv)
    .opts<CliOptions>();
}

function sourceOf(options: CliOptions): ProfileSource {
  if (options.source) return { kind: 'file', path: options.source };
  if (options.store) return { kind: 'store', path: options.store };
  process.stderr.write('builder: say where profiles come from: --store <file> (or TANDEM_STORE) or --source <file>\n');
  process.exit(2);
}

function errorFields(err: unknown): { code?: string; error: string } {
  const code = (err as { code?: unknown }).code;
  return { ...(typeof code === 'string' ? { code } : {}), error: err instanceof Error ? err.message : String(err) };
}

async function buildOnce(options: CliOptions, source: ProfileSource, logger: Logger, signal: AbortSignal, reason: string) {
  logger.info({ reason, source: source.path, from: source.kind }, 'build started');
  const manifest = await buildIndex({
    source,
    dataDir: options.data,
    dims: options.dims,
    vectorizerPath: options.vectorizer,
    logger,
    threads: options.threads,
    params: { expansionSearch: options.efSearch, connectivity: options.connectivity },
    keep: options.keep,
    batchSize: options.batchSize,
    incrementalMaxFraction: options.incremental,
    signal,
  });
  logger.info(
    {
      version: manifest.version,
      count: manifest.count,
      skipped: manifest.skipped.total,
      skippedByReason: manifest.skipped.byReason,
      buildMs: manifest.buildMs,
      storeSeq: manifest.storeSeq ?? null,
      incremental: manifest.incremental ?? null,
      reason,
    },
    'published',
  );
  return manifest;
}

/** The latest published version's manifest, or null when there is none usable. */
async function latestManifest(options: CliOptions, logger: Logger) {
  const latest = await readLatest(options.data);
  if (latest === null) return null;
  try {
    return await readVerifiedManifest(versionDir(options.data, latest));
  } catch (err) {
    logger.warn({ version: latest, ...errorFields(err) }, 'latest version is unusable; rebuilding');
    return null;
  }
}

async function runOnce(options: CliOptions, source: ProfileSource, logger: Logger): Promise<number> {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'stopping: abandoning the build');
    controller.abort();
  };
  process.once('SIGTERM', onSignal).once('SIGINT', onSignal);
  const stopWatching = options.exitWithParent ? stopWhenParentGone(logger, () => controller.abort()) : () => {};
  try {
    await buildOnce(options, source, logger, controller.signal, 'one-shot');
    return 0;
  } catch (err) {
    if (isBuilderError(err, 'TANDEM_ERR_BUILD_ABORTED')) {
      logger.info('build abandoned; nothing published');
      return 0;
    }
    logger.fatal(errorFields(err), 'build failed');
    process.stderr.write(`builder: ${errorFields(err).error}\n`);
    return 1;
  } finally {
    stopWatching();
  }
}

async function runService(options: CliOptions, source: ProfileSource, logger: Logger): Promise<number> {
  const controller = new AbortController();
  const scheduler = new RebuildScheduler({
    debounceMs: options.debounceMs,
    maxDelayMs: options.maxDelayMs,
    run: async (reason) => {
      try {
        await buildOnce(options, source, logger, controller.signal, reason);
      } catch (err) {
        if (isBuilderError(err, 'TANDEM_ERR_BUILD_ABORTED')) {
          logger.info({ reason }, 'build abandoned; nothing published');
        } else {
          // The previous version stays published; the next change gets another try.
          logger.error({ reason, ...errorFields(err) }, 'build failed');
        }
      }
    },
  });

  const watch = watchSource(source, options.pollMs);
  const stopped = new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal, building: scheduler.building }, 'stopping');
      watch.stop();
      clearInterval(every);
      controller.abort();
      void scheduler.stop().then(resolve);
    };
    process.on('SIGTERM', onSignal).on('SIGINT', onSignal);
    if (options.exitWithParent) stopWhenParentGone(logger, () => onSignal('SIGHUP'));
  });

  // Watching before the first check: a change between the two is then seen by one or the other.
  watch.start((reason) => scheduler.request(reason));
  const every = options.every ? setInterval(() => scheduler.request('every', true), options.every * 1000) : undefined;
  logger.info({ source: source.path, from: source.kind, data: options.data, every: options.every ?? null }, 'watching source');

  const { ahead, why } = await watch.ahead(await latestManifest(options, logger));
  logger.info({ ahead }, why);
  if (ahead) scheduler.request('start', true);
  await stopped;
  logger.info('stopped');
  return 0;
}

const options = parseArgs(process.argv);
const source = sourceOf(options);
// Synchronous stdout: log lines are few, and a line written just before exit must not be lost.
const logger = pino({ name: 'builder', level: process.env.LOG_LEVEL ?? 'info' }, pino.destination({ dest: 1, sync: true }));
// Before any work, so index construction's threads inherit it: a build or a retention delete at
// normal priority takes CPU from the answerer (BENCHMARKS.md).
if (!lowerPriority(options.niceness))
  logger.warn({ niceness: options.niceness }, "could not lower the builder's priority; building at normal priority");
try {
  process.exit(await (options.watch ? runService(options, source, logger) : runOnce(options, source, logger)));
} catch (err) {
  logger.fatal(errorFields(err), 'builder failed');
  process.stderr.write(`builder: ${errorFields(err).error}\n`);
  process.exit(1);
}
