// The router's batching on the wire: a burst larger than maxBatch leaves as several messages of
// at most maxBatch queries each (a full batch goes at once, the rest at the end of the tick), and
// every reply reaches its own caller.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import t, { type Test } from 'tap';
import { Dealer } from 'zeromq';
import { slotRoutingId } from '../channel/protocol.js';
import { decodeQueries, encodeReplies, type RecommendQuery } from '../channel/query-batch.js';
import { type QueryOutcome, QueryRouter, type QueryRouterOptions } from '../supervisor/query-router.js';

/** A router on an endpoint of this test's own, and a Dealer playing slot 0's child; both closed at teardown. */
async function routerAndChild(t: Test, options: Partial<QueryRouterOptions> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'tandem-router-'));
  const endpoint = `ipc://${dir}/query`;
  const router = new QueryRouter({
    endpoint,
    timeoutMs: 5000,
    maxHoldMs: 1000,
    maxInFlight: 1000,
    maxBatch: 8,
    sendTimeoutMs: 1000,
    suspectMs: 1000,
    log: pino({ level: 'silent' }),
    ...options,
  });
  const child = new Dealer({ routingId: slotRoutingId(0), linger: 0 });
  t.teardown(() => {
    child.close();
    router.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await router.bind();
  child.connect(endpoint);
  return { router, child, endpoint };
}

t.test('a burst is split into batches of at most maxBatch, and each caller gets its own reply', async (t) => {
  const { router, child } = await routerAndChild(t);
  router.setTarget({ kind: 'slot', slot: 0 });

  const burst = 21;
  const outcomes = new Map<string, QueryOutcome>();
  const allAnswered = new Promise<void>((resolve) => {
    for (let i = 0; i < burst; i++) {
      router.recommend(`p${i}`, 3, (outcome) => {
        outcomes.set(`p${i}`, outcome);
        if (outcomes.size === burst) resolve();
      });
    }
  });

  // The test's child: echo each query's id back as its body, one reply message per batch.
  const batchSizes: number[] = [];
  const echo = (async () => {
    let seen = 0;
    for await (const [header] of child) {
      const queries = decodeQueries(header!).queries as RecommendQuery[];
      batchSizes.push(queries.length);
      await child.send(
        encodeReplies(
          queries.map(({ q }) => ({ q, ok: true })),
          queries.map(({ id }) => Buffer.from(JSON.stringify({ id }))),
        ),
      );
      seen += queries.length;
      if (seen >= burst) return;
    }
  })();

  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error('replies did not all arrive within 5 s')), 5000).unref(),
  );
  await Promise.race([Promise.all([allAnswered, echo]), timeout]);

  t.same(batchSizes, [8, 8, 5], 'two full batches sent at once, the rest at the end of the tick');
  for (const [id, outcome] of outcomes) {
    t.ok(outcome.ok, `${id} answered`);
    if (outcome.ok) t.same(JSON.parse(outcome.body.toString('utf8')), { id }, `${id} got its own reply`);
  }
});

t.test('a query waits for an answerer a bounded time: sent when one appears, NO_ANSWERER when none does', async (t) => {
  const expiries: number[] = [];
  const { router, child } = await routerAndChild(t, { maxHoldMs: 300, onHoldExpired: (count) => expiries.push(count) });
  const ask = (id: string) =>
    new Promise<{ outcome: QueryOutcome; ms: number }>((resolve) => {
      const started = Date.now();
      router.recommend(id, 3, (outcome) => resolve({ outcome, ms: Date.now() - started }));
    });

  router.setTarget({ kind: 'wait' });
  const inVain = await ask('nobody');
  t.match(inVain.outcome, { ok: false, code: 'NO_ANSWERER' }, 'nobody came: 503, not a hang until the 5 s deadline');
  t.ok(inVain.ms >= 300 && inVain.ms < 2000, `failed after the hold (${inVain.ms} ms)`);
  t.same(expiries, [1], 'the expiry is reported (the supervisor traces it)');

  const echo = (async () => {
    for await (const [header] of child) {
      const queries = decodeQueries(header!).queries as RecommendQuery[];
      await child.send(
        encodeReplies(
          queries.map(({ q }) => ({ q, ok: true })),
          queries.map(({ id }) => Buffer.from(JSON.stringify({ id }))),
        ),
      );
      return;
    }
  })();
  const waiting = ask('patient');
  setTimeout(() => router.setTarget({ kind: 'slot', slot: 0 }), 100);
  const answered = await waiting;
  await echo;
  t.ok(answered.outcome.ok, 'a child came within the hold: answered');
  t.match(router.stats, { held: 2, holdExpired: 1 }, 'both waits counted (/status queries.held, queries.holdExpired)');

  router.setTarget({ kind: 'none' });
  t.match(await ask('refused'), { outcome: { ok: false, code: 'NO_ANSWERER' } }, 'nobody loading: refused at once');
});

/** A Dealer playing `slot`'s child on the router's endpoint: it collects the batches it is sent. */
async function extraChild(t: Test, endpoint: string, slot: number) {
  const child = new Dealer({ routingId: slotRoutingId(slot), linger: 0 });
  t.teardown(() => child.close());
  child.connect(endpoint);
  return child;
}

/** Reads one batch from `child`, bounded by a timeout, and returns its queries. */
async function nextBatch(child: Dealer, ms = 3000): Promise<RecommendQuery[]> {
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no batch within ${ms} ms`)), ms).unref());
  const [header] = await Promise.race([child.receive(), timeout]);
  return decodeQueries(header!).queries as RecommendQuery[];
}

/** Answers `queries` from `child` with a body that names the answering slot. */
function answer(child: Dealer, slot: number, queries: RecommendQuery[]): Promise<void> {
  return child.send(
    encodeReplies(
      queries.map(({ q }) => ({ q, ok: true, v: 'v1' })),
      queries.map(({ id }) => Buffer.from(JSON.stringify({ id, slot }))),
    ),
  );
}

t.test('a spare shares the queries by load; when it stops sharing, its in-flight ones go to the answerer', async (t) => {
  const { router, child: answerer, endpoint } = await routerAndChild(t);
  const spare = await extraChild(t, endpoint, 1);
  // Let both connections settle, or ROUTER's mandatory send to slot 1 fails as unroutable.
  await new Promise((resolve) => setTimeout(resolve, 100));
  router.setTarget({ kind: 'slot', slot: 0, spare: 1 });

  const outcomes = new Map<string, QueryOutcome>();
  const burst = 16;
  const allAnswered = new Promise<void>((resolve) => {
    for (let i = 0; i < burst; i++)
      router.recommend(`p${i}`, 3, (outcome) => {
        outcomes.set(`p${i}`, outcome);
        if (outcomes.size === burst) resolve();
      });
  });
  const toAnswerer = await nextBatch(answerer);
  const toSpare = await nextBatch(spare);
  t.equal(toAnswerer.length, 8, 'fewest in flight: half to the answerer');
  t.equal(toSpare.length, 8, 'and half to the spare');

  await answer(answerer, 0, toAnswerer);
  // The spare starts fetching before it answered: its queries go out again, to the answerer.
  await new Promise((resolve) => setTimeout(resolve, 50));
  router.setTarget({ kind: 'slot', slot: 0 });
  const moved = await nextBatch(answerer);
  t.same(moved.map(({ id }) => id).sort(), toSpare.map(({ id }) => id).sort(), "the spare's in-flight queries, sent to the answerer");
  await answer(spare, 1, toSpare);
  await answer(answerer, 0, moved);
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('not all answered in 5 s')), 5000).unref());
  await Promise.race([allAnswered, timeout]);
  for (const [id, outcome] of outcomes) {
    t.ok(outcome.ok && JSON.parse(outcome.body.toString('utf8')).slot === 0, `${id} answered by the answerer`);
  }
  t.match(router.stats, { moved: 8, answered: 16, retried: 0 }, 'moved, not counted as their one retry');
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(router.stats.late, 8, "the spare's own answers, after it stopped sharing, are ignored as late");
  t.same(router.answeredBySlot, [16], 'per-slot answered counts (/status)');
  t.equal(router.inFlight, 0);
});
