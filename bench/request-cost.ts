// CPU per answered request, per process: bare Fastify (bench/servers/single.ts --kind bare) and
// tandem (main process, answering child, all its processes), each server and wrk in a session of
// its own, alternating for a few rounds. utime+stime of every process of the server under test is
// read from /proc before and after each measured wrk run; CPU-µs per request is their difference
// over the requests wrk got a 2xx answer to.
//
//   node dist/bench/request-cost.js [--rounds 3] [--seconds 5] [--warmup 2] [--connections 64]
//        [--tandem label=<dist dir>]...   (default: one tandem, this checkout's dist/)
//        [--api-stub label=<dist dir>]...  tandem's API before a supervisor that answers at once (bench/api-stub.ts)
//        [--no-bare] [--delay-ms N]  (each connection waits N ms before each request: a fixed offered rate)
//
// Several --tandem builds (e.g. a copy of dist/ before a change and dist/ after it) run in the same
// alternation, so a before/after comparison shares the machine's conditions.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CACHE, DIST, freePort, log, median, run, spawnTracked, stopTracked, waitFor200 } from './common.js';
import { privateData } from './private-data.js';
import { LUA } from './wrk.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '64' },
    /** Each connection waits this long before each request (bench/lua/recommend-paced.lua): a fixed offered rate instead of saturation. */
    'delay-ms': { type: 'string', default: '0' },
    tandem: { type: 'string', multiple: true },
    'no-bare': { type: 'boolean', default: false },
    /** tandem's API before a supervisor that answers at once (bench/api-stub.ts): the main process without the hop. */
    'api-stub': { type: 'string', multiple: true },
  },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const connections = Number(values.connections);
const delayMs = Number(values['delay-ms']);
const PACED_LUA = path.join(path.dirname(LUA), 'recommend-paced.lua');
function labelled(spec: string): { label: string; dist: string } {
  const at = spec.indexOf('=');
  if (at < 1) throw new Error(`want label=<dist dir>, got ${spec}`);
  return { label: spec.slice(0, at), dist: path.resolve(spec.slice(at + 1)) };
}
const tandems = (values.tandem ?? [`tandem=${DIST}`]).map(labelled);
const stubs = new Set((values['api-stub'] ?? []).map((spec) => labelled(spec).label));

const CLOCK_TICKS_PER_SEC = Number((await run('getconf', ['CLK_TCK'])).trim());

/** utime + stime of one process (all its threads), in µs; null once it has gone. */
function cpuMicros(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS_PER_SEC;
  } catch {
    return null;
  }
}

/** `root` and every process below it. */
function processTree(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* exited */
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) for (const [pid, ppid] of parentOf) if (ppid === tree[i]) tree.push(pid);
  return tree;
}

/** utime + stime in µs by thread name (comm: the JS thread is "node", ZeroMQ's I/O threads "ZMQbg/IO/0", ...). */
function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/[0-9]+$/, 'N');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const us = ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS_PER_SEC;
      out.set(comm, (out.get(comm) ?? 0) + us);
    } catch {
      /* exited */
    }
  }
  return out;
}

function threadDiff(before: Map<string, number>, after: Map<string, number>, answered: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, us] of after) {
    const used = (us - (before.get(name) ?? 0)) / answered;
    if (used >= 0.5) out[name] = Math.round(used * 10) / 10;
  }
  return out;
}

/** CPU time of the whole machine, every core, in µs (user, nice, system, irq, softirq, steal from /proc/stat). */
function machineCpuMicros(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = fields as [number, number, number, number, number, number, number, number];
  return ((user + nice + system + irq + softirq + steal) * 1e6) / CLOCK_TICKS_PER_SEC;
}

function cpuOf(pids: number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    const us = cpuMicros(pid);
    if (us !== null) out.set(pid, us);
  }
  return out;
}

interface WrkSummary {
  requests: number;
  rps: number;
  p50us: number;
  p99us: number;
  errConnect: number;
  errRead: number;
  errWrite: number;
  errStatus: number;
  errTimeout: number;
}

/** wrk -t1 in a session of its own (spawnTracked is detached), its JSON summary line parsed. */
async function wrk(port: number, idsFile: string, secs: number): Promise<WrkSummary> {
  const script = delayMs > 0 ? PACED_LUA : LUA;
  const child = spawnTracked(
    'wrk',
    ['-t1', `-c${connections}`, `-d${secs}s`, '--timeout', '10s', '-s', script, `http://127.0.0.1:${port}`],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, IDS: idsFile, RECOMMEND_LUA: LUA, DELAY_MS: String(delayMs) },
    },
  );
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const line = out.split('\n').find((l) => l.startsWith('{'));
  if (code !== 0 || !line) throw new Error(`wrk exited with ${code}: ${out}`);
  return JSON.parse(line) as WrkSummary;
}

interface Cell {
  server: string;
  round: number;
  answered: number;
  errors: number;
  rps: number;
  p50us: number;
  p99us: number;
  /** CPU-µs per answered request: the whole server, and by process. */
  total: number;
  main: number;
  answering: number | null;
  others: number;
  /** Cores' worth of CPU the rest of the machine (wrk and other users included) used during the cell. */
  elsewhereCores: number;
  /** CPU-µs per answered request by thread name, in the main process and the answering child. */
  mainThreads: Record<string, number>;
  answeringThreads: Record<string, number>;
}

interface SlotStatus {
  slots: { pid: number | null; role: string; slot: number }[];
  answerer: number | null;
}

async function answeringPid(port: number): Promise<number | null> {
  const status = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as SlotStatus;
  return status.slots.find((s) => s.slot === status.answerer)?.pid ?? null;
}

async function measure(server: string, round: number, start: (port: number) => ReturnType<typeof spawnTracked>, idsFile: string) {
  const port = freePort();
  const proc = start(port);
  try {
    await waitFor200(`http://127.0.0.1:${port}/ready`);
    const isTandem = server !== 'bare' && !stubs.has(server);
    await wrk(port, idsFile, warmup);
    const answerer = isTandem ? await answeringPid(port) : null;
    const pids = processTree(proc.pid!);
    const mainThreadsBefore = threadCpu(proc.pid!);
    const answeringThreadsBefore = answerer === null ? new Map<string, number>() : threadCpu(answerer);
    const before = cpuOf(pids);
    const machineBefore = machineCpuMicros();
    const startedAt = performance.now();
    const r = await wrk(port, idsFile, seconds);
    const elapsedUs = (performance.now() - startedAt) * 1000;
    const machineUsed = machineCpuMicros() - machineBefore;
    const after = cpuOf(processTree(proc.pid!));
    const mainThreadsAfter = threadCpu(proc.pid!);
    const answeringThreadsAfter = answerer === null ? new Map<string, number>() : threadCpu(answerer);
    const used = (pid: number) => (after.get(pid) ?? before.get(pid) ?? 0) - (before.get(pid) ?? 0);
    const all = new Set([...before.keys(), ...after.keys()]);
    const errors = r.errConnect + r.errRead + r.errWrite + r.errStatus + r.errTimeout;
    const answered = r.requests - r.errStatus - r.errTimeout;
    let total = 0;
    for (const pid of all) total += used(pid);
    const main = used(proc.pid!);
    const answering = answerer === null ? null : used(answerer);
    const cell: Cell = {
      server,
      round,
      answered,
      errors,
      rps: r.rps,
      p50us: r.p50us,
      p99us: r.p99us,
      total: total / answered,
      main: main / answered,
      answering: answering === null ? null : answering / answered,
      others: (total - main - (answering ?? 0)) / answered,
      elsewhereCores: (machineUsed - total) / elapsedUs,
      mainThreads: threadDiff(mainThreadsBefore, mainThreadsAfter, answered),
      answeringThreads: threadDiff(answeringThreadsBefore, answeringThreadsAfter, answered),
    };
    log(
      `${server} round ${round}: ${r.rps.toFixed(0)} req/s, ${errors} errors, rest of the machine (wrk included) ${cell.elsewhereCores.toFixed(2)} cores, CPU-µs/request total ${cell.total.toFixed(1)}, main ${cell.main.toFixed(1)}` +
        (cell.answering === null ? '' : `, answering child ${cell.answering.toFixed(1)}, others ${cell.others.toFixed(1)}`) +
        `\n  by thread, main ${JSON.stringify(cell.mainThreads)}` +
        (cell.answering === null ? '' : `, answering child ${JSON.stringify(cell.answeringThreads)}`),
    );
    return cell;
  } finally {
    await stopTracked(proc);
  }
}

const { dataDir, idsFile } = await privateData('demo-10k', 'request-cost');
const runsDir = path.join(CACHE, 'request-cost', 'runs');
const servers: { name: string; start: (port: number) => ReturnType<typeof spawnTracked> }[] = [];
if (!values['no-bare'])
  servers.push({
    name: 'bare',
    start: (port) =>
      spawnTracked(process.execPath, [
        path.join(DIST, 'bench', 'servers', 'single.js'),
        '--kind',
        'bare',
        '--data',
        dataDir,
        '--port',
        String(port),
      ]),
  });
for (const { label, dist } of (values['api-stub'] ?? []).map(labelled))
  servers.push({
    name: label,
    start: (port) => spawnTracked(process.execPath, [path.join(dist, 'bench', 'api-stub.js'), '--data', dataDir, '--port', String(port)]),
  });
for (const { label, dist } of tandems)
  servers.push({
    name: label,
    start: (port) =>
      spawnTracked(process.execPath, [
        path.join(dist, 'service', 'main.js'),
        '--data',
        dataDir,
        '--port',
        String(port),
        '--runs',
        runsDir,
        '--log-level',
        'warn',
      ]),
  });

const cells: Cell[] = [];
// Every other round runs the servers in reverse order, so no server always follows the same one.
for (let round = 1; round <= rounds; round++)
  for (const server of round % 2 ? servers : [...servers].reverse()) cells.push(await measure(server.name, round, server.start, idsFile));

const fmt = (values: number[], digits = 1) => {
  const sorted = [...values].sort((a, b) => a - b);
  return `${median(sorted).toFixed(digits)} (${sorted[0]!.toFixed(digits)}-${sorted.at(-1)!.toFixed(digits)})`;
};
const bareTotal = median(cells.filter((c) => c.server === 'bare').map((c) => c.total));
const bareRps = median(cells.filter((c) => c.server === 'bare').map((c) => c.rps));
console.log(
  `\nCPU-µs per answered request, median (min-max) of ${rounds} rounds; wrk -t1 -c${connections} -d${seconds}s${
    delayMs > 0 ? `, ${delayMs} ms before each request (bench/lua/recommend-paced.lua)` : ''
  }, demo-10k, GET /recommend/<id>/10`,
);
console.log(
  '| server | req/s | total | main process | answering child | other processes | total / bare | main / bare | req/s / bare | rest of the machine, cores |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const { name } of servers) {
  const mine = cells.filter((c) => c.server === name);
  const tandem = name !== 'bare' && !stubs.has(name);
  const ratio = (v: number, of: number) => (Number.isFinite(of) ? `${(v / of).toFixed(2)}x` : '-');
  console.log(
    `| ${name} | ${fmt(
      mine.map((c) => c.rps),
      0,
    )} | ${fmt(mine.map((c) => c.total))} | ${fmt(mine.map((c) => c.main))} | ${
      tandem ? fmt(mine.map((c) => c.answering ?? Number.NaN)) : '-'
    } | ${tandem ? fmt(mine.map((c) => c.others)) : '-'} | ${ratio(median(mine.map((c) => c.total)), bareTotal)} | ${ratio(
      median(mine.map((c) => c.main)),
      bareTotal,
    )} | ${ratio(median(mine.map((c) => c.rps)), bareRps)} | ${fmt(
      mine.map((c) => c.elsewhereCores),
      2,
    )} |`,
  );
}
const errors = cells.reduce((sum, c) => sum + c.errors, 0);
if (errors > 0) console.log(`\n${errors} requests failed across all cells`);
