// A process-free property test: the real supervisor and slot machines (simulated clock) driven
// through random event sequences, with children whose replies come late, twice, out of date or
// not at all, crashes and timeouts anywhere. After every step the invariants of the design hold;
// after every walk, a well-behaved environment (children that do what they are told, one good
// new version) brings the service back to serving: no sequence leaves it stuck.
import t from 'tap';
import { mulberry32 } from '../builder/random.js';
import type { FetchErrorCode } from '../channel/errors.js';
import { startHarness } from './helpers/machine-harness.js';

const WALKS = 60;
const STEPS = 400;
const CODES: FetchErrorCode[] = ['LOAD_FAILED', 'LOAD_FAILED', 'CHECKSUM_MISMATCH', 'MANIFEST_MISSING', 'WRONG_DIMENSIONS'];

type Harness = ReturnType<typeof startHarness>;

function currentSeq(h: Harness, slot: number): number {
  return h.slot(slot).getSnapshot().context.seq;
}

function lastFetch(h: Harness, slot: number) {
  const sent = [...h.sent].reverse().find((s) => s.slot === slot && s.command.type === 'FETCH');
  return sent?.command.type === 'FETCH' ? sent.command : null;
}

/** Per version, the failed fetches the walk reported for a current FETCH: by code. */
type Failures = Map<string, { merit: number; passing: number }>;

/** One random thing happening to the system. */
function step(h: Harness, rng: () => number, versions: { next: number }, failures: Failures): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
  const slot = rng() < 0.5 ? 0 : 1;
  const seq = currentSeq(h, slot);
  const state = h.slotState(slot);
  const roll = rng();
  if (roll < 0.08) {
    const version = `v${String(rng() < 0.8 ? ++versions.next : Math.max(1, versions.next - 2)).padStart(4, '0')}`;
    h.actor.send({ type: 'VERSION_SEEN', version, path: `/d/${version}` });
    return `VERSION_SEEN ${version}`;
  }
  if (roll < 0.2) {
    const ms = pick([1, 50, 200, 1000, 2500, 12_000]);
    h.clock.increment(ms);
    return `+${ms} ms`;
  }
  if (roll < 0.25) {
    h.slot(slot).send({ type: 'EXITED', code: null, signal: 'SIGKILL' });
    return `slot ${slot} EXITED`;
  }
  if (roll < 0.28) {
    h.slot(slot).send({ type: 'HEARTBEAT_LOST', silentMs: 9000 });
    return `slot ${slot} HEARTBEAT_LOST`;
  }
  // A reply: mostly for the current command, sometimes for an old one (late or duplicated).
  const replySeq = rng() < 0.85 ? seq : Math.max(0, seq - 1 - Math.floor(rng() * 3));
  const fetch = lastFetch(h, slot);
  const kind = state.startsWith('spawning')
    ? 'SPAWNED'
    : state.startsWith('handshake')
      ? 'HELLO'
      : pick(['ACK', 'ACK', 'FETCHED', 'FETCH_FAILED', 'DRAINED'] as const);
  switch (kind) {
    case 'SPAWNED':
      h.slot(slot).send({ type: 'SPAWNED', pid: 5000 + Math.floor(rng() * 1000) });
      break;
    case 'HELLO':
      h.slot(slot).send({ type: 'HELLO', pid: 1 });
      break;
    case 'ACK':
      h.slot(slot).send({ type: 'ACK', seq: replySeq });
      break;
    case 'FETCHED':
      h.slot(slot).send({ type: 'FETCHED', seq: replySeq, version: fetch?.version ?? 'v0000', count: 10, dims: 4, loadMs: 1 });
      break;
    case 'FETCH_FAILED': {
      const code = pick(CODES);
      const version = fetch?.version ?? 'v0000';
      if (replySeq === seq && state.startsWith('fetching')) {
        const count = failures.get(version) ?? { merit: 0, passing: 0 };
        if (code === 'LOAD_FAILED') count.passing++;
        else count.merit++;
        failures.set(version, count);
      }
      h.slot(slot).send({ type: 'FETCH_FAILED', seq: replySeq, version, error: 'x', code });
      break;
    }
    case 'DRAINED':
      h.slot(slot).send({ type: 'DRAINED', seq: replySeq });
      break;
  }
  return `slot ${slot} ${kind} seq ${replySeq}${replySeq === seq ? '' : ' (old)'}`;
}

/** The invariants that must hold in every state reached; a message when one does not. */
function violation(h: Harness, previous: { version: string | null; answerer: number | null }, failures: Failures): string | null {
  const { answerer, servingVersion, slots, quarantined } = h.context();
  // Quarantine on the version's merits only: a merit failure, or three passing ones (FETCH_RETRY).
  for (const version of quarantined) {
    const seen = failures.get(version);
    if (!seen || (seen.merit === 0 && seen.passing < 3)) return `${version} quarantined after ${JSON.stringify(seen ?? {})} failures`;
  }
  if (answerer !== null && !h.slotState(answerer).startsWith('answering'))
    return `answerer slot ${answerer} is ${h.slotState(answerer)}, not answering`;
  for (let slot = 0; slot < 2; slot++) {
    if (slot !== answerer && h.slotState(slot) === 'answering.serving' && answerer !== null)
      return `slot ${slot} serves queries beside answerer ${answerer}`;
    const state = h.slotState(slot);
    if (slots[slot]!.ready && !['idle', 'standby'].includes(state)) return `slot ${slot} seen as ready while ${state}`;
  }
  // A swap never goes back; only a failover (nobody answering in between) may serve an older version.
  if (servingVersion !== null && previous.version !== null && servingVersion < previous.version && previous.answerer !== null)
    return `served ${servingVersion} right after ${previous.version} without a failover`;
  return null;
}

/** Children that do as they are told, and one good new version: the service must come back. */
function settle(h: Harness, version: string): string | null {
  h.actor.send({ type: 'VERSION_SEEN', version, path: `/d/${version}` });
  for (let round = 0; round < 400; round++) {
    if (h.state() === 'serving' && h.context().servingVersion === version) return null;
    for (let slot = 0; slot < 2; slot++) {
      const state = h.slotState(slot);
      const seq = currentSeq(h, slot);
      if (state === 'spawning') h.slot(slot).send({ type: 'SPAWNED', pid: 9000 + slot });
      else if (state === 'handshake') h.slot(slot).send({ type: 'HELLO', pid: 9000 + slot });
      else if (state === 'crashed') h.slot(slot).send({ type: 'EXITED', code: null, signal: 'SIGKILL' });
      else if (state.endsWith('awaitingAck')) h.slot(slot).send({ type: 'ACK', seq });
      else if (state === 'fetching.loading') {
        const fetch = lastFetch(h, slot)!;
        h.slot(slot).send({ type: 'FETCHED', seq, version: fetch.version, count: 10, dims: 4, loadMs: 1 });
      } else if (state === 'draining.awaitingDrained') h.slot(slot).send({ type: 'DRAINED', seq });
    }
    // Well within every reply timeout; 400 rounds are over a minute, past any backoff or restart limit.
    h.clock.increment(200);
  }
  return `still ${h.state()} (serving ${h.context().servingVersion}), slots ${h.slotState(0)} / ${h.slotState(1)}`;
}

t.test('random walks: the invariants hold after every step, and the service always comes back', async (t) => {
  let steps = 0;
  for (let walk = 0; walk < WALKS; walk++) {
    const rng = mulberry32(1000 + walk);
    const h = startHarness(
      { ackMs: 500, fetchMs: 5000, drainMs: 2000, backoffBaseMs: 100, backoffMaxMs: 1000 },
      {
        standby: walk % 2 === 0,
        standbyDelayMs: 3000,
      },
    );
    const versions = { next: 0 };
    const failures: Failures = new Map();
    const history: string[] = [];
    let previous = { version: null as string | null, answerer: null as number | null };
    let failure: string | null = null;
    for (let i = 0; i < STEPS && failure === null; i++) {
      history.push(step(h, rng, versions, failures));
      failure = violation(h, previous, failures);
      previous = { version: h.context().servingVersion, answerer: h.context().answerer };
      steps++;
    }
    failure ??= settle(h, 'v9999');
    if (failure !== null) {
      t.fail(`walk ${walk}: ${failure}; last steps: ${history.slice(-12).join(' | ')}`);
      h.actor.stop();
      return;
    }
    h.actor.stop();
  }
  t.pass(`${WALKS} walks, ${steps} random steps: every invariant held, every walk came back to serving`);
});
