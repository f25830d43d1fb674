// `tandem stats` (`make stats`): per-minute moving averages of query latency and of fetch and swap
// durations over a trace or pino log, one JSON line per minute, in one pass over a file or stdin.
import { once } from 'node:events';
import { createReadStream, existsSync } from 'node:fs';
import readline from 'node:readline';
import { Command, InvalidArgumentError } from 'commander';
import { type MinuteAverages, MovingAverages } from './moving-average.js';
import { naiveAverages } from './naive-averages.js';
import { type StatEvent, StatEventReader } from './stat-events.js';

/** A day: a longer window is more likely a typo than a wish. */
const MAX_WINDOW_MINUTES = 1440;

function windowSize(raw: string): number {
  const minutes = /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_WINDOW_MINUTES)
    throw new InvalidArgumentError(`a whole number of minutes from 1 to ${MAX_WINDOW_MINUTES}`);
  return minutes;
}

const program = new Command()
  .name('tandem stats')
  .description('per-minute moving averages of query latency, fetch and swap durations over a trace or log (JSON lines)')
  .argument('[file]', 'trace.jsonl of a run, a pino log, or - for standard input', '-')
  .option('--window-size <minutes>', 'minutes each average looks back over', windowSize, 10)
  .option(
    '--naive',
    'hold the whole input and recompute every window from it (the reference tests and bench/stats.ts check against)',
    false,
  );
program.parse();
const [file] = program.args as [string?];
const source = file ?? '-';
const opts = program.opts<{ windowSize: number; naive: boolean }>();

// `tandem stats | head` closes the pipe early; that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : 1));

if (source !== '-' && !existsSync(source)) {
  console.error(`tandem stats: no file at ${source} (each run of the service writes run/<time>/trace.jsonl; FILE=- reads stdin)`);
  process.exit(1);
}

const round = (value: number | null) => (value === null ? null : Math.round(value * 1000) / 1000);

/** "2026-12-02 18:11:00", UTC. */
function dateOf(minuteMs: number): string {
  return new Date(minuteMs).toISOString().slice(0, 19).replace('T', ' ');
}

function print(minute: MinuteAverages): void {
  const { averages, counts } = minute;
  process.stdout.write(
    `${JSON.stringify({
      date: dateOf(minute.minute),
      average_query_ms: round(averages.query),
      average_fetch_ms: round(averages.fetch),
      average_swap_ms: round(averages.swap),
      queries: counts.query,
      fetches: counts.fetch,
      swaps: counts.swap,
    })}\n`,
  );
}

const reader = new StatEventReader();
const streaming = new MovingAverages(opts.windowSize, print);
const held: StatEvent[] = [];
let lines = 0;
let malformed = 0;
let events = 0;
let tooOld = 0;
const input = source === '-' ? process.stdin : createReadStream(source);
for await (const line of readline.createInterface({ input, crlfDelay: Infinity })) {
  lines++;
  if (!line.trim()) continue;
  const result = reader.read(line);
  if (!result.ok) {
    malformed++;
    console.error(`line ${lines}: ${result.reason}`);
    continue;
  }
  if (!result.event) continue;
  events++;
  const { timeMs, kind, sum, count } = result.event;
  if (opts.naive) held.push(result.event);
  else if (streaming.add(timeMs, kind, sum, count) === 'tooOld') tooOld++;
  // A slow reader of our output must not make us buffer it: memory stays bounded by the window.
  if (process.stdout.writableNeedDrain) await once(process.stdout, 'drain');
}

if (lines === 0) {
  console.error(`tandem stats: ${source === '-' ? 'standard input' : source} is empty`);
  process.exit(1);
}
if (events === 0) {
  console.error(`tandem stats: no query, fetch or swap events in ${lines} lines (${malformed} malformed)`);
  process.exit(1);
}
if (opts.naive) {
  const naive = naiveAverages(held, opts.windowSize);
  tooOld = naive.tooOld;
  for (const minute of naive.minutes) print(minute);
} else streaming.end();
if (malformed > 0) console.error(`${malformed} malformed line${malformed === 1 ? '' : 's'} skipped`);
if (tooOld > 0) console.error(`${tooOld} event${tooOld === 1 ? '' : 's'} older than the ${opts.windowSize}-minute window skipped`);
