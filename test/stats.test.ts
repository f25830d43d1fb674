// `tandem stats`: the streaming moving averages equal a naive recomputation over the whole input
// (generated traces with fixed seeds, out of order and with gaps, and a real run's trace); bad
// lines are reported by number and skipped; empty input and bad window sizes are refused; stdin
// is read as a stream (a minute is printed once final, before the input ends).
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { intBetween, mulberry32 } from '../builder/random.js';
import { type MinuteAverages, MovingAverages, type StatKind } from '../trace/moving-average.js';
import { naiveAverages } from '../trace/naive-averages.js';
import type { StatEvent } from '../trace/stat-events.js';
import { syntheticTrace } from '../trace/synthetic-trace.js';
import { distPath } from './helpers/paths.js';
import { finished, spawnNode } from './helpers/spawn.js';
import { startFixture } from './helpers/system-fixture.js';
import { waitFor } from './helpers/wait.js';

const STATS = distPath('trace/stats-cli');
const T0 = Date.UTC(2026, 11, 2, 18, 0, 0);
const KINDS: StatKind[] = ['query', 'fetch', 'swap'];

function streamed(events: readonly StatEvent[], window: number) {
  const minutes: MinuteAverages[] = [];
  const averages = new MovingAverages(window, (minute) => minutes.push(minute));
  let tooOld = 0;
  for (const e of events) if (averages.add(e.timeMs, e.kind, e.sum, e.count) === 'tooOld') tooOld++;
  averages.end();
  return { minutes, tooOld };
}

t.test('streaming equals the naive recomputation on random events (out of order, gaps, too old)', async (t) => {
  for (let seed = 1; seed <= 60; seed++) {
    const rng = mulberry32(seed);
    const window = [1, 2, 3, 10][seed % 4]!;
    let now = T0;
    const events: StatEvent[] = [];
    for (let i = 0; i < 400; i++) {
      now += intBetween(rng, 0, 40_000);
      if (rng() < 0.02) now += intBetween(rng, 1, 4 * window) * 60_000;
      const back = rng() < 0.2 ? intBetween(rng, 0, (window + 2) * 60_000) : 0;
      events.push({ timeMs: now - back, kind: KINDS[intBetween(rng, 0, 2)]!, sum: rng() * 100, count: intBetween(rng, 1, 5) });
    }
    const naive = naiveAverages(events, window);
    const stream = streamed(events, window);
    t.same(stream, naive, `seed ${seed}, window ${window}: ${naive.minutes.length} minutes, ${naive.tooOld} too old`);
  }
});

t.test('a hand-worked example: gaps, a late value, a value too old', async (t) => {
  const at = (minute: number, second = 0) => T0 + minute * 60_000 + second * 1000;
  const events: StatEvent[] = [
    { timeMs: at(0, 10), kind: 'query', sum: 30, count: 3 },
    { timeMs: at(1, 0), kind: 'fetch', sum: 2000, count: 1 },
    { timeMs: at(4, 5), kind: 'query', sum: 10, count: 1 },
    { timeMs: at(3, 59), kind: 'swap', sum: 400, count: 1 }, // late, within the window: minute 3
    { timeMs: at(1, 30), kind: 'query', sum: 99, count: 1 }, // older than the window ending at minute 4: refused
  ];
  const { minutes, tooOld } = streamed(events, 2);
  t.equal(tooOld, 1);
  t.same(
    minutes.map((m) => [m.minute, m.averages.query, m.averages.fetch, m.averages.swap, m.counts.query]),
    [
      [at(0), 10, null, null, 3],
      [at(1), 10, 2000, null, 3],
      [at(2), null, 2000, null, 0],
      [at(3), null, null, 400, 0],
      [at(4), 10, null, 400, 1],
    ],
  );
});

t.test('the CLI on a generated trace: same output as --naive; malformed lines by number; too old counted', async (t) => {
  const dir = t.testdir();
  const file = path.join(dir, 'trace.jsonl');
  const lines = [...syntheticTrace({ lines: 20_000, seed: 42, windowMinutes: 10, malformedShare: 0.001 })];
  writeFileSync(file, `${lines.join('\n')}\n`);
  const badLines = lines.flatMap((line, i) => {
    try {
      const parsed = JSON.parse(line) as { ts?: unknown };
      return parsed.ts === undefined ? [i + 1] : [];
    } catch {
      return [i + 1];
    }
  });
  t.ok(badLines.length > 5, `${badLines.length} malformed lines in the input`);
  const stream = await finished(await spawnNode(t, STATS, [file]), 60_000);
  const naive = await finished(await spawnNode(t, STATS, [file, '--naive']), 60_000);
  t.equal(stream.code, 0, 'exit 0 despite malformed lines');
  t.equal(naive.code, 0);
  t.equal(stream.stdout, naive.stdout, 'streaming output equals the naive recomputation');
  t.equal(stream.stderr, naive.stderr, 'and so do the reports');
  const out = stream.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, number | string | null>);
  t.ok(out.length > 60, `${out.length} minutes`);
  const dates = out.map((row) => Date.parse(`${String(row.date).replace(' ', 'T')}Z`));
  t.ok(
    dates.every((d, i) => i === 0 || d - dates[i - 1]! === 60_000),
    'one line per minute, none skipped',
  );
  t.ok(
    out.some((row) => row.queries === 0 && row.average_query_ms === null),
    'minutes with no queries in their window are there, average null',
  );
  t.ok(
    out.some((row) => Number(row.fetches) > 0 && Number(row.swaps) > 0),
    'fetches and swaps averaged',
  );
  t.same(Object.keys(out[0]!), ['date', 'average_query_ms', 'average_fetch_ms', 'average_swap_ms', 'queries', 'fetches', 'swaps']);
  const reported = [...stream.stderr.matchAll(/^line (\d+): /gm)].map((m) => Number(m[1]));
  t.same(reported, badLines, 'each malformed line reported by its number');
  t.match(stream.stderr, new RegExp(`^${badLines.length} malformed lines skipped$`, 'm'));
  t.match(stream.stderr, /^\d+ events older than the 10-minute window skipped$/m);
});

t.test('the CLI on a real run: queries, a fetch and a swap, same as --naive', async (t) => {
  const fx = await startFixture(t, { count: 200, system: { standbyDelayMs: 200 } });
  await waitFor('first version served', async () => (await fx.status()).servingVersion, 45_000);
  for (let i = 0; i < 20; i++) await fx.get(`/recommend/${encodeURIComponent(fx.ids[i]!)}/3`);
  const manifest = await fx.publish();
  await fx.waitServing(manifest.version);
  for (let i = 0; i < 20; i++) await fx.get(`/recommend/${encodeURIComponent(fx.ids[i]!)}/3`);
  await fx.system.stop();
  const trace = readFileSync(fx.system.traceFile, 'utf8');
  t.ok(trace.includes('"kind":"queries"'), 'the trace holds queries records');
  const stream = await finished(await spawnNode(t, STATS, [fx.system.traceFile, '--window-size', '1']));
  const naive = await finished(await spawnNode(t, STATS, [fx.system.traceFile, '--window-size', '1', '--naive']));
  t.equal(stream.code, 0, stream.stderr);
  t.equal(stream.stderr, '', 'nothing malformed in a real trace');
  t.equal(stream.stdout, naive.stdout);
  const rows = stream.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, number>);
  const total = (field: string) => rows.reduce((n, row) => n + row[field]!, 0);
  t.ok(total('queries') >= 40, `the 40 queries are averaged (${total('queries')} counted over the windows)`);
  t.ok(total('fetches') >= 2, 'the first fetch and the new version fetch');
  t.ok(total('swaps') >= 1, 'the swap');
  t.ok(
    rows.every((row) => row.average_query_ms === null || row.average_query_ms! > 0),
    'latencies positive',
  );
});

t.test('bad input: empty, no events, bad window sizes, no such file', async (t) => {
  const dir = t.testdir({ 'empty.jsonl': '', 'noise.jsonl': '{"ts":"2026-12-02T18:00:00Z","msg":"hello"}\nnot json\n' });
  const empty = await finished(await spawnNode(t, STATS, [path.join(dir, 'empty.jsonl')]));
  t.equal(empty.code, 1);
  t.match(empty.stderr, /empty\.jsonl is empty/);
  t.equal(empty.stdout, '');
  const noise = await finished(await spawnNode(t, STATS, [path.join(dir, 'noise.jsonl')]));
  t.equal(noise.code, 1);
  t.match(noise.stderr, /line 2: not JSON/);
  t.match(noise.stderr, /no query, fetch or swap events in 2 lines \(1 malformed\)/);
  for (const size of ['0', '-3', 'ten', '1.5', '1441', '']) {
    const bad = await finished(await spawnNode(t, STATS, [path.join(dir, 'noise.jsonl'), '--window-size', size]));
    t.not(bad.code, 0, `--window-size ${JSON.stringify(size)} refused`);
    t.match(bad.stderr, /window-size/);
    t.equal(bad.stdout, '');
  }
  const missing = await finished(await spawnNode(t, STATS, [path.join(dir, 'nope.jsonl')]));
  t.equal(missing.code, 1);
  t.match(missing.stderr, /no file at .*nope\.jsonl/);
});

t.test('standard input is a stream: a final minute is printed before the input ends', async (t) => {
  const cli = await spawnNode(t, STATS, ['-', '--window-size', '1'], { stdin: 'pipe' });
  const record = (minute: number) =>
    `${JSON.stringify({ ts: new Date(T0 + minute * 60_000).toISOString(), kind: 'queries', route: 'GET /x', count: 2, sumMs: 4 * (minute + 1) })}\n`;
  cli.child.stdin!.write(record(0));
  cli.child.stdin!.write(record(1));
  // Minute 0 is final once minute 1 is seen (a 1-minute window): printed while stdin stays open.
  await waitFor('minute 0 printed', () => cli.stdout().includes('"date":"2026-12-02 18:00:00"'), 10_000);
  t.notOk(cli.stdout().includes('18:01:00'), 'minute 1 is not final yet');
  cli.child.stdin!.write(record(2));
  await waitFor('minute 1 printed', () => cli.stdout().includes('18:01:00'), 10_000);
  cli.child.stdin!.end();
  await once(cli.child.stdin!, 'finish');
  const done = await finished(cli);
  t.equal(done.code, 0);
  t.same(
    done.stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { average_query_ms: number }).average_query_ms),
    [2, 4, 6],
  );
});
