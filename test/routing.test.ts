// The traffic switch without processes: who gets a new query through a whole swap, and what the
// router does with a slot it could not reach, a failed child and a lost query.
import t from 'tap';
import {
  admits,
  afterLostQuery,
  dispatchFor,
  INITIAL_ROUTING,
  nextRouting,
  pageTarget,
  type RoutingState,
  releaseHeld,
  routeFor,
} from '../statecharts/routing.js';
import { startHarness } from './helpers/machine-harness.js';

t.test('through boot and a swap, new queries go to the slot the machine names, switching at the ANSWER ack', async (t) => {
  const h = startHarness();
  const route = () => routeFor(h.actor.getSnapshot());
  t.same(route(), { kind: 'none' }, 'booting: nobody to wait for, fail fast');
  h.bootSlot(0);
  h.bootSlot(1);
  h.actor.send({ type: 'VERSION_SEEN', version: 'v1', path: '/d/v1' });
  t.same(route(), { kind: 'wait' }, 'loading the first version: queries wait for it (a bounded time)');
  h.completeFetch(0);
  t.same(route(), { kind: 'wait' }, 'promoting the first answerer: queries wait for it');
  h.ackLast(0);
  t.same(route(), { kind: 'slot', slot: 0 }, 'serving from slot 0');
  h.actor.send({ type: 'VERSION_SEEN', version: 'v2', path: '/d/v2' });
  h.completeFetch(1);
  t.equal(h.state(), 'promoting');
  t.same(route(), { kind: 'slot', slot: 0 }, 'no switch before the new answerer acked ANSWER');
  h.ackLast(1);
  t.same(route(), { kind: 'slot', slot: 1 }, 'the switch is the ack');
  t.equal(h.state(), 'draining', 'and the old answerer drains only after it');
  h.actor.stop();
});

t.test('the answerer dies and nobody holds a version: queries wait while one loads, fail fast when none can', async (t) => {
  const h = startHarness();
  h.serveFirstVersion();
  h.slot(0).send({ type: 'EXITED', code: null, signal: 'SIGKILL' });
  t.equal(h.state(), 'loadingFirst', 'the spare loads the version at once');
  t.same(routeFor(h.actor.getSnapshot()), { kind: 'wait' }, 'a child is about to answer: wait for it');
  h.slot(1).send({ type: 'EXITED', code: null, signal: 'SIGKILL' });
  t.equal(h.state(), 'degraded');
  const slotStates = () => [h.slotState(0), h.slotState(1)];
  t.same(routeFor(h.actor.getSnapshot(), slotStates()), { kind: 'wait' }, 'both on their way back up (backoff): wait for them');
  t.same(routeFor(h.actor.getSnapshot(), ['restartLimited', 'restartLimited']), { kind: 'none' }, 'both held back: fail fast');
  h.actor.stop();
});

const at = (state: Partial<RoutingState>): RoutingState => ({ ...INITIAL_ROUTING, ...state });
const slot0 = { kind: 'slot', slot: 0 } as const;
const slot1 = { kind: 'slot', slot: 1 } as const;

t.test('dispatch: none fails, wait holds, a suspect target holds until the suspicion lapses', async (t) => {
  t.same(dispatchFor(at({ target: { kind: 'none' } }), 0), { kind: 'fail' });
  t.same(dispatchFor(at({ target: { kind: 'wait' } }), 0), { kind: 'hold' });
  t.same(dispatchFor(at({ target: slot0 }), 0), { kind: 'send', slot: 0 });
  const suspect = at({ target: slot0, suspect: { slot: 0, until: 100 } });
  t.same(dispatchFor(suspect, 99), { kind: 'hold' }, 'a slot a send just failed to reach gets nothing');
  t.same(dispatchFor(suspect, 100), { kind: 'send', slot: 0 }, 'after the suspicion it does again');
  t.same(dispatchFor(at({ target: slot1, suspect: { slot: 0, until: 100 } }), 0), { kind: 'send', slot: 1 }, 'another slot is not suspect');
  t.notOk(admits(at({ target: { kind: 'none' } })), 'a new query is refused when nobody can answer');
  t.ok(admits(at({ target: { kind: 'wait' } })), 'and accepted while one is about to');
});

t.test('routing events: a new target clears the suspicion, a failed target means wait, time lapses a suspicion', async (t) => {
  const suspected = nextRouting(at({ target: slot0 }), { type: 'SEND_FAILED', slot: 0, now: 10, suspectMs: 50 });
  t.same(suspected.suspect, { slot: 0, until: 60 });
  t.same(nextRouting(suspected, { type: 'TARGET', target: { kind: 'slot', slot: 0 } }), suspected, 'the same target keeps it');
  t.same(nextRouting(suspected, { type: 'TARGET', target: slot1 }), { target: slot1, suspect: null }, 'a new decision supersedes it');
  t.same(nextRouting(suspected, { type: 'TICK', now: 59 }), suspected);
  t.same(nextRouting(suspected, { type: 'TICK', now: 60 }).suspect, null);
  t.same(
    nextRouting(at({ target: slot0 }), { type: 'SLOT_FAILED', slot: 0 }).target,
    { kind: 'wait' },
    'the dead answerer gets nothing more',
  );
  const other = at({ target: slot1 });
  t.equal(nextRouting(other, { type: 'SLOT_FAILED', slot: 0 }), other, 'a failed spare changes nothing');
  const quiet = at({ target: slot0 });
  t.equal(nextRouting(quiet, { type: 'TICK', now: 5 }), quiet, 'nothing to lapse: the same state, no work for the router');
});

t.test('held queries leave when a target can take them, fail when nobody can answer, else stay', async (t) => {
  t.equal(releaseHeld(at({ target: slot0 }), 0), 'dispatch');
  t.equal(releaseHeld(at({ target: { kind: 'none' } }), 0), 'fail');
  t.equal(releaseHeld(at({ target: { kind: 'wait' } }), 0), 'keep');
  t.equal(releaseHeld(at({ target: slot0, suspect: { slot: 0, until: 10 } }), 5), 'keep');
});

t.test('a lost query is retried once, then failed', async (t) => {
  t.equal(afterLostQuery(false), 'retry');
  t.equal(afterLostQuery(true), 'fail');
});

t.test('a later page goes to the version of its first page while a child holds it, never elsewhere', async (t) => {
  const slots = [
    { version: 'v2', state: 'answering' },
    { version: 'v1', state: 'idle' },
  ];
  t.equal(pageTarget('v2', 0, slots), 'answerer', 'the served version: the answerer, through the normal route');
  t.equal(pageTarget('v1', 0, slots), 1, 'an older version still held by the spare: that slot');
  t.equal(pageTarget('v1', 0, [slots[0]!, { version: 'v1', state: 'draining' }]), 1, 'a draining child still holds it');
  t.equal(pageTarget('v1', 0, [slots[0]!, { version: null, state: 'fetching' }]), null, 'the spare fetching a newer one: gone');
  t.equal(pageTarget('v1', 0, [slots[0]!, { version: 'v1', state: 'crashed' }]), null, 'a crashed child holds nothing');
  t.equal(pageTarget('v0', 0, slots), null, 'a version nobody holds: gone');
  t.equal(pageTarget('v1', null, [{ version: 'v1', state: 'standby' }, slots[0]!]), 0, 'no answerer named: the holder');
});
