// `make chaos`: the whole service under continuous load while faults are injected on a
// schedule, then a summary table. Traffic goes to 127.0.0.1 only and every process started here
// is killed at the end.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import pino from 'pino';
import { buildIndex } from '../builder/build.js';
import { writeProfilesJsonl } from '../builder/generate.js';
import { writeLatest } from '../builder/publish.js';
import { INDEX_FILE, readLatest, versionDir } from '../index-version/format.js';
import type { SupervisorStatus } from '../supervisor/supervisor.js';

const opts = new Command()
  .name('chaos')
  .description('fault injection under load, with a summary')
  .option('--seconds <n>', 'how long the load runs', '60')
  .option('--clients <n>', 'concurrent HTTP clients', '16')
  .option('--count <n>', 'profiles in the data set', '10000')
  .option('--dir <dir>', 'working directory (data, logs)', '.cache/chaos')
  .parse()
  .opts<{ seconds: string; clients: string; count: string; dir: string }>();

const root = path.resolve(import.meta.dirname, '..', '..');
const dir = path.resolve(opts.dir);
const dataDir = path.join(dir, 'data');
const source = path.join(dataDir, 'profiles.jsonl');
const logFile = path.join(dir, 'processes.log');
const processes: ChildProcess[] = [];

function start(script: string, args: string[]): ChildProcess {
  const child = spawn(process.execPath, [path.join(root, 'dist', script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk) => appendFileSync(logFile, chunk));
  child.stderr!.on('data', (chunk) => appendFileSync(logFile, chunk));
  processes.push(child);
  return child;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`chaos: timed out waiting for ${what}`);
    await sleep(100);
  }
}

mkdirSync(dir, { recursive: true });
writeFileSync(logFile, '');
if (!existsSync(source)) await writeProfilesJsonl(source, Number(opts.count), 42);
if ((await readLatest(dataDir)) === null) await buildIndex({ source, dataDir, logger: pino({ level: 'warn' }) });
const ids = readFileSync(source, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => (JSON.parse(line) as { _id: string })._id);

process.on('exit', () => {
  for (const child of processes) child.kill('SIGKILL');
});

const main = start('service/main.js', ['--data', dataDir, '--port', '0', '--runs', path.join(dir, 'run')]);
let mainOutput = '';
main.stdout!.on('data', (chunk) => (mainOutput += chunk));
const url = await until('the service to listen', async () => /"url":"(http:\/\/[^"]+)"[^\n]*tandem listening/.exec(mainOutput)?.[1]);
const status = async () => (await (await fetch(`${url}/status`)).json()) as SupervisorStatus;
await until('a served version', async () => (await status()).servingVersion);
let builder = start('builder/main.js', ['--source', source, '--data', dataDir, '--watch', '--every', '6', '--threads', '1']);

// --- load -------------------------------------------------------------------------------
const latencies: number[] = [];
const outageLatencies: number[] = [];
const failures = new Map<string, number>();
let sent = 0;
let stopLoad = false;
let expectingOutage = false;
let outageFailures = 0;
/** Faults injected and requests failed, in order, with the time: kept in bench/results/chaos-c<clients>.json. */
const events: string[] = [];
async function client(c: number) {
  for (let i = 0; !stopLoad; i++) {
    const id = ids[(c * 7919 + i * 104_729) % ids.length]!;
    const started = performance.now();
    sent++;
    let outcome: string;
    try {
      const response = await fetch(`${url}/recommend/${id}/10`, { signal: AbortSignal.timeout(15_000) });
      const body = await response.text();
      outcome = response.status === 200 ? 'ok' : `${response.status} ${(JSON.parse(body) as { code?: string }).code ?? ''}`;
    } catch (err) {
      outcome = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    }
    (expectingOutage ? outageLatencies : latencies).push(performance.now() - started);
    if (outcome !== 'ok') {
      if (expectingOutage && outcome.startsWith('503')) outageFailures++;
      else {
        failures.set(outcome, (failures.get(outcome) ?? 0) + 1);
        const line = `${new Date().toISOString().slice(11, 23)}  request failed: ${outcome}`;
        events.push(line);
        console.log(line);
      }
    }
  }
}
const load = Promise.all(Array.from({ length: Number(opts.clients) }, (_, c) => client(c)));

// --- faults -----------------------------------------------------------------------------
const injected: Record<string, number> = {};
const note = (fault: string) => {
  injected[fault] = (injected[fault] ?? 0) + 1;
  const line = `${new Date().toISOString().slice(11, 19)}  ${fault}`;
  events.push(line);
  console.log(line);
};
// Kills that promise zero failures wait until the other child holds an index.
const standbyReady = () =>
  until('a standby holding an index', async () => {
    const s = await status();
    return s.answerer !== null && s.slots.some((slot) => slot.role !== 'answer' && slot.version !== null) ? s : null;
  });
const answerer = (s: SupervisorStatus) => s.slots.find((slot) => slot.role === 'answer');

const faults: [string, () => Promise<void>][] = [
  [
    'SIGKILL the answer child',
    async () => {
      process.kill(answerer(await standbyReady())!.pid!, 'SIGKILL');
    },
  ],
  [
    'SIGKILL the fetch child',
    async () => {
      const s = await status();
      const spare = s.slots.find((slot) => slot.role !== 'answer' && slot.pid !== null);
      if (spare) process.kill(spare.pid!, 'SIGKILL');
    },
  ],
  [
    'SIGSTOP the answer child (hang)',
    async () => {
      const pid = answerer(await standbyReady())!.pid!;
      process.kill(pid, 'SIGSTOP');
      await until('the hung child replaced', async () => (await status()).slots.every((slot) => slot.pid !== pid), 20_000);
    },
  ],
  [
    'publish a corrupt version',
    async () => {
      const scratch = path.join(dir, 'scratch');
      rmSync(scratch, { recursive: true, force: true });
      // Built by a builder process: a build in this process would stall the load clients' clock.
      const build = start('builder/main.js', ['--source', source, '--data', scratch, '--threads', '1']);
      await new Promise((resolve) => build.once('exit', resolve));
      const manifest = { version: (await readLatest(scratch))! };
      appendFileSync(path.join(versionDir(scratch, manifest.version), INDEX_FILE), 'garbage');
      renameSync(versionDir(scratch, manifest.version), versionDir(dataDir, manifest.version));
      await writeLatest(dataDir, manifest.version);
    },
  ],
  [
    'SIGKILL the builder mid-build, restart it',
    async () => {
      await sleep(1500 + Math.random() * 2000);
      builder.kill('SIGKILL');
      builder = start('builder/main.js', ['--source', source, '--data', dataDir, '--watch', '--every', '6', '--threads', '1']);
    },
  ],
  [
    'SIGKILL the answer child every 1 s for 20 s',
    async () => {
      await standbyReady();
      for (let kill = 0; kill < 20; kill++) {
        const victim = answerer(await status());
        if (victim?.pid) process.kill(victim.pid, 'SIGKILL');
        await sleep(1000);
      }
    },
  ],
  [
    'SIGKILL the answer child during a swap',
    async () => {
      await standbyReady();
      // The builder publishes every 6 s: wait for the service to be between versions.
      const during = await until(
        'a swap under way',
        async () => {
          const s = await status();
          return ['fetching', 'promoting', 'draining'].includes(s.state) && s.answerer !== null ? s : null;
        },
        20_000,
      );
      const victim = answerer(during);
      if (victim?.pid) process.kill(victim.pid, 'SIGKILL');
    },
  ],
  [
    'SIGKILL both children (deliberate outage: 503s expected)',
    async () => {
      const s = await standbyReady();
      expectingOutage = true;
      for (const slot of s.slots) if (slot.pid) process.kill(slot.pid, 'SIGKILL');
      await until(
        'both replaced and serving again',
        async () => {
          const now = await status();
          return now.answerer !== null && now.slots.every((slot, i) => slot.pid !== s.slots[i]!.pid);
        },
        60_000,
      );
      // Replies already on their way when the first answerer came back.
      await sleep(200);
      expectingOutage = false;
    },
  ],
];

const endAt = Date.now() + Number(opts.seconds) * 1000;
for (let i = 0; Date.now() < endAt; i++) {
  await sleep(3000);
  if (Date.now() >= endAt) break;
  const [name, inject] = faults[i % faults.length]!;
  await inject();
  note(name);
}
stopLoad = true;
await load;
const final = await status();
for (const child of processes) child.kill('SIGKILL');
for (const slot of final.slots) {
  try {
    if (slot.pid) process.kill(slot.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

// --- summary ----------------------------------------------------------------------------
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
const failed = [...failures.values()].reduce((a, b) => a + b, 0);
const rows: [string, string][] = [
  ['duration, clients', `${opts.seconds} s, ${opts.clients}`],
  ['requests sent', String(sent)],
  ['requests failed (a healthy child existed)', `${failed}${failed ? ` ${JSON.stringify(Object.fromEntries(failures))}` : ''}`],
  ['503 during the deliberate both-children outage', String(outageFailures)],
  ['swaps', String(final.swaps)],
  [
    'faults injected',
    Object.entries(injected)
      .map(([k, v]) => `${k}: ${v}`)
      .join('; '),
  ],
  ['child restarts', String(final.slots.reduce((a, s) => a + s.restarts, 0))],
  ['quarantined versions', String(final.quarantined.length)],
  [
    'latency p50 / p99 / max (outside the deliberate outage)',
    `${pct(0.5).toFixed(1)} / ${pct(0.99).toFixed(1)} / ${(latencies.at(-1) ?? 0).toFixed(0)} ms`,
  ],
  ['max latency during the outage', `${Math.max(0, ...outageLatencies).toFixed(0)} ms`],
];
const table = ['| measure | value |', '| --- | --- |', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
console.log(`\n${table}\n`);
writeFileSync(path.join(dir, 'summary.md'), `${table}\n`);
// The raw outcome is kept with the benchmarks, and the README's table is made from it, never by hand.
const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
})();
const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
const results = path.join(root, 'bench', 'results');
writeFileSync(
  path.join(results, `chaos-c${opts.clients}.json`),
  `${JSON.stringify({ date: when, commit, options: opts, rows: Object.fromEntries(rows), failures: Object.fromEntries(failures), log: events }, null, 2)}\n`,
);
// One column per client count run so far (c=16, c=64, ...), each from its own stored run.
const runs = readdirSync(results)
  .filter((name) => /^chaos-c\d+\.json$/.test(name))
  .map(
    (name) => JSON.parse(readFileSync(path.join(results, name), 'utf8')) as { date: string; commit: string; rows: Record<string, string> },
  )
  .sort((x, y) => Number(x.rows['duration, clients']!.split(', ')[1]) - Number(y.rows['duration, clients']!.split(', ')[1]));
const header = `| measure | ${runs.map((run) => `${run.rows['duration, clients']} (${run.date} UTC, ${run.commit})`).join(' | ')} |`;
const lines = rows.map(([measure]) => `| ${measure} | ${runs.map((run) => run.rows[measure] ?? '').join(' | ')} |`);
const combined = [header, `| --- |${runs.map(() => ' --- |').join('')}`, ...lines.slice(1)].join('\n');
const readme = path.join(root, 'README.md');
const text = readFileSync(readme, 'utf8');
const begin = '<!-- chaos table: written by make chaos from bench/results/chaos-c*.json -->';
const end = '<!-- end of chaos table -->';
if (text.includes(begin) && text.includes(end)) {
  const block = `${begin}\nMeasured by \`make chaos\` (\`CLIENTS=16\` and \`CLIENTS=64\`); each column is one run:\n\n${combined}\n${end}`;
  writeFileSync(readme, text.slice(0, text.indexOf(begin)) + block + text.slice(text.indexOf(end) + end.length));
}
process.exit(failed === 0 ? 0 : 1);
