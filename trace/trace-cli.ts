// `make trace`: a run's statechart trace as a timeline a person can read.
import { createReadStream, existsSync } from 'node:fs';
import readline from 'node:readline';
import { Command } from 'commander';
import type { TraceRecord } from './trace-record.js';

const program = new Command()
  .name('trace')
  .description('print the statechart trace of a run as a timeline')
  .argument('[file]', 'trace.jsonl of a run', 'run/latest/trace.jsonl')
  .option('--all', 'also show events that changed no state (heartbeats lost while fetching, slot reports)', false)
  .option('--actor <name>', 'only this actor (supervisor, slot-0, slot-1)');
program.parse();
const [file] = program.args as [string];
const opts = program.opts<{ all: boolean; actor?: string }>();

// `make trace | head` closes the pipe early; that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : 1));

if (!existsSync(file)) {
  console.error(`no trace at ${file}: start the service with \`make multi\` first (each run writes run/<time>/trace.jsonl)`);
  process.exit(1);
}

function label(record: TraceRecord): string | null {
  if (record.event.startsWith('timeout:')) return 'TIMEOUT';
  if (record.actor === 'supervisor' && record.event === 'SLOT_ANSWERING' && record.from === 'promoting')
    return record.to === 'draining' ? 'SWAP' : 'SERVE';
  if (record.to === 'crashed' && record.from !== 'crashed') return 'CRASH';
  if (record.to === 'spawning' && record.from === 'backoff') return 'RESTART';
  if (record.to === 'degraded' && record.from !== 'degraded') return 'DEGRADED';
  if (record.stale) return 'STALE';
  return null;
}

const counts: Record<string, number> = {};
let shown = 0;
const lines = readline.createInterface({ input: createReadStream(file), crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  let record: TraceRecord;
  try {
    record = JSON.parse(line) as TraceRecord;
  } catch {
    continue;
  }
  // The file also holds the per-second `queries` records (`tandem stats` reads those).
  if (typeof record.event !== 'string' || typeof record.to !== 'string') continue;
  if (opts.actor && record.actor !== opts.actor) continue;
  const tag = label(record);
  if (tag) counts[tag] = (counts[tag] ?? 0) + 1;
  if (!opts.all && record.from === record.to && !tag) continue;
  const time = record.ts.slice(11, 23);
  const move = record.from === record.to ? `(stays ${record.to})` : `${record.from ?? '∅'} → ${record.to}`;
  const extras = [
    record.seq !== undefined ? `seq=${record.seq}` : '',
    record.version ? `version=${record.version}` : '',
    record.slot !== undefined ? `slot=${record.slot}` : '',
    record.detail ?? '',
  ]
    .filter(Boolean)
    .join(' ');
  console.log(`${time}  ${(tag ?? '').padEnd(8)} ${record.actor.padEnd(10)} ${move.padEnd(44)} ${record.event.padEnd(18)} ${extras}`);
  shown++;
}
const summary = Object.entries(counts)
  .map(([tag, n]) => `${tag.toLowerCase()}: ${n}`)
  .join(', ');
console.log(`\n${shown} records shown${summary ? `; ${summary}` : ''}`);
