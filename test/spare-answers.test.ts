// The spare answers too, for real: two child processes over ZeroMQ share the queries while both
// hold the served version, a swap under load fails no request, and once a newer version is
// promoted no new query is answered by the older one. Switched off, the spare answers nothing.
import t from 'tap';
import type { SupervisorStatus } from '../supervisor/supervisor.js';
import { type Fixture, startFixture } from './helpers/system-fixture.js';
import { waitFor } from './helpers/wait.js';

/** Both children hold the served version and the spare is in standby: the state the spare answers in. */
function sharing(status: SupervisorStatus): boolean {
  return (
    status.state === 'serving' &&
    status.slots.every((slot) => slot.version === status.servingVersion && (slot.role === 'answer' || slot.state === 'standby'))
  );
}

/** An answer as the load saw it: when its request started and the version named in Tandem-Version. */
interface Seen {
  startedAt: number;
  version: string;
}

/** Workers querying until stop(); every non-200 or error kept, every answer's version and start time too. */
function startLoad(fx: Fixture, workers: number) {
  let stopped = false;
  const seen: Seen[] = [];
  const failures: string[] = [];
  const worker = async (w: number) => {
    for (let i = 0; !stopped; i++) {
      const id = fx.ids[(w * 7919 + i * 31) % fx.ids.length]!;
      const startedAt = Date.now();
      try {
        const response = await fetch(`${fx.system.url}/recommend/${id}/10`, { signal: AbortSignal.timeout(10_000) });
        await response.arrayBuffer();
        if (response.status !== 200) failures.push(`${response.status} for ${id}`);
        else seen.push({ startedAt, version: response.headers.get('tandem-version')?.split(';')[0] ?? '?' });
      } catch (err) {
        failures.push(`${id}: ${(err as Error).message}`);
      }
    }
  };
  const running = Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
  return {
    seen,
    failures,
    async stop() {
      stopped = true;
      await running;
    },
  };
}

const answeredBy = (status: SupervisorStatus) => status.slots.map((slot) => slot.answered);

t.test('both children answer while both hold the served version; a swap under load fails no request', async (t) => {
  const fx = await startFixture(t, { count: 400, system: { spareAnswers: true, standbyDelayMs: 300 } });
  await waitFor('the spare in standby with the served version', async () => sharing(await fx.status()), 30_000);
  const load = startLoad(fx, 8);
  try {
    const first = await fx.status();
    t.same(
      first.slots.map((slot) => slot.role).sort(),
      ['answer', 'share'],
      '/status names the spare answering beside the answerer `share`',
    );
    const before = answeredBy(first);
    const both = await waitFor('both children answering', async () => {
      const now = answeredBy(await fx.status());
      return now.every((n, slot) => n - before[slot]! >= 50) ? now : null;
    });
    t.ok(
      both.every((n, slot) => n - before[slot]! >= 50),
      `each child answered (${JSON.stringify(both)} from ${JSON.stringify(before)})`,
    );

    const v2 = await fx.publish();
    const promoted = await fx.waitServing(v2.version);
    const promotedAt = Date.now();
    t.equal(promoted.swaps, 1, 'one swap');
    const shared = await waitFor('both children answering v2', async () => {
      const status = await fx.status();
      return sharing(status) && status.servingVersion === v2.version ? status : null;
    });
    const again = answeredBy(shared);
    await waitFor('both answering after the swap', async () => {
      const now = answeredBy(await fx.status());
      return now.every((n, slot) => n - again[slot]! >= 50);
    });
    await load.stop();
    t.same(load.failures, [], `no request failed across the swap (${load.seen.length} answered)`);
    const older = load.seen.filter(({ startedAt, version }) => startedAt > promotedAt && version !== v2.version);
    t.same(older, [], 'no query started after v2 was promoted got an answer from an older version');
    t.ok(load.seen.length > 200, `load ran (${load.seen.length} answers)`);
  } finally {
    await load.stop();
  }
});

t.test('switched off (--spare-answers off): the answerer alone answers, as before', async (t) => {
  const fx = await startFixture(t, { count: 400, system: { spareAnswers: false, standbyDelayMs: 300 } });
  await waitFor('the spare in standby with the served version', async () => sharing(await fx.status()), 30_000);
  const load = startLoad(fx, 8);
  try {
    const before = await fx.status();
    const spare = before.slots.find((slot) => slot.role !== 'answer')!.slot;
    t.equal(before.slots[spare]!.role, 'fetch', 'a spare that does not answer is not called `share`');
    await waitFor('the answerer answering', async () => (await fx.status()).queries.answered >= before.queries.answered + 300);
    await load.stop();
    const after = await fx.status();
    t.equal(after.slots[spare]!.answered, before.slots[spare]!.answered, 'the spare answered nothing');
    t.same(load.failures, []);
  } finally {
    await load.stop();
  }
});
