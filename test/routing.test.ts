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
  type SupervisorView,
  spareLeft,
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

t.test('the spare shares the queries only while it holds the served version in standby', async (t) => {
  const h = startHarness({}, { standby: true, standbyDelayMs: 1000 });
  const route = (spareAnswers = true) => routeFor(h.actor.getSnapshot(), [h.slotState(0), h.slotState(1)], spareAnswers);
  h.serveFirstVersion();
  t.equal(h.slotState(1), 'fetching.awaitingAck', 'the spare loads v1 as hot standby');
  t.same(route(), { kind: 'slot', slot: 0 }, 'a spare still fetching the served version: only the answerer');
  h.completeFetch(1);
  t.equal(h.slotState(1), 'standby');
  t.same(route(), { kind: 'slot', slot: 0, spare: 1 }, 'both hold v1, the spare in standby: both answer');
  t.same(route(false), { kind: 'slot', slot: 0 }, 'switched off: the answerer alone, as before');

  h.actor.send({ type: 'VERSION_SEEN', version: 'v2', path: '/d/v2' });
  t.equal(h.slotState(1), 'fetching.awaitingAck', 'v2 seen: the spare is sent FETCH');
  t.same(route(), { kind: 'slot', slot: 0 }, 'a spare that starts fetching stops taking queries in that same step');
  h.completeFetch(1);
  t.equal(h.state(), 'promoting');
  t.same(route(), { kind: 'slot', slot: 0 }, 'the spare holds v2, not yet promoted: it answers nothing');
  h.ackLast(1);
  t.same(route(), { kind: 'slot', slot: 1 }, 'v2 promoted at the ack: the new answerer alone');
  h.ackLast(0);
  h.slot(0).send({ type: 'DRAINED', seq: h.last(0)!.seq });
  t.equal(h.slotState(0), 'idle');
  t.equal(h.context().slots[0]!.version, 'v1', 'the drained child still holds v1');
  t.same(route(), { kind: 'slot', slot: 1 }, 'never the child holding the older version once v2 is promoted');
  h.clock.increment(1000);
  t.equal(h.slotState(0), 'fetching.awaitingAck', 'after the standby delay it loads v2 as the new standby');
  t.same(route(), { kind: 'slot', slot: 1 });
  h.completeFetch(0);
  t.same(route(), { kind: 'slot', slot: 1, spare: 0 }, 'both hold v2 again: both answer');

  h.slot(0).send({ type: 'EXITED', code: null, signal: 'SIGKILL' });
  t.same(route(), { kind: 'slot', slot: 1 }, 'a crashed spare holds nothing: the answerer alone');
  h.actor.stop();
});

t.test('which spare may answer, case by case: only one in standby holding exactly the served version', async (t) => {
  const view = (context: Partial<SupervisorView['context']>): SupervisorView => ({
    context: {
      answerer: 0,
      servingVersion: 'v2',
      slots: [
        { ready: false, version: 'v2' },
        { ready: true, version: 'v2' },
      ],
      candidate: null,
      retiring: null,
      ...context,
    },
    matches: () => false,
  });
  const states = ['answering.serving', 'standby'];
  const onlyAnswerer = { kind: 'slot', slot: 0 };
  t.same(routeFor(view({}), states, true), { kind: 'slot', slot: 0, spare: 1 }, 'both hold v2, the spare in standby: both');
  const older = view({
    slots: [
      { ready: false, version: 'v2' },
      { ready: true, version: 'v1' },
    ],
  });
  t.same(routeFor(older, states, true), onlyAnswerer, 'a spare holding an older version: never');
  const newer = view({
    slots: [
      { ready: false, version: 'v2' },
      { ready: true, version: 'v3' },
    ],
  });
  t.same(routeFor(newer, states, true), onlyAnswerer, 'a spare holding a newer version not promoted (say, quarantined): never');
  t.same(routeFor(view({}), ['answering.serving', 'fetching.loading'], true), onlyAnswerer, 'a spare fetching: never');
  t.same(routeFor(view({}), ['answering.serving', 'idle'], true), onlyAnswerer, 'only in standby');
  t.same(routeFor(view({ candidate: 1 }), states, true), onlyAnswerer, 'the machine has sent it a command: not any more');
  t.same(routeFor(view({ retiring: 1 }), states, true), onlyAnswerer, 'a draining old answerer: never');
  const busy = view({
    slots: [
      { ready: false, version: 'v2' },
      { ready: false, version: 'v2' },
    ],
  });
  t.same(routeFor(busy, states, true), onlyAnswerer, 'not ready (busy with a command): never');
  t.same(routeFor(view({}), states, false), onlyAnswerer, 'switched off: the answerer alone');
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

t.test('dispatch with a spare: the filling batch, else fewer in flight, else not the last batch, never a suspect', async (t) => {
  const shared = at({ target: { kind: 'slot', slot: 0, spare: 1 } });
  const load = (inFlight: number[], filling: number | null = null, lastBatch: number | null = null) => ({ inFlight, filling, lastBatch });
  t.same(dispatchFor(shared, 0, load([0, 0])), { kind: 'send', slot: 0 }, 'a tie, no batch yet: the answerer');
  t.same(dispatchFor(shared, 0, load([0, 0], null, 0)), { kind: 'send', slot: 1 }, 'a tie: the one that did not get the last batch');
  t.same(dispatchFor(shared, 0, load([0, 0], null, 1)), { kind: 'send', slot: 0 }, 'either way round');
  t.same(dispatchFor(shared, 0, load([3, 2], null, 1)), { kind: 'send', slot: 1 }, 'the spare has fewer in flight');
  t.same(dispatchFor(shared, 0, load([2, 3], null, 0)), { kind: 'send', slot: 0 }, 'the answerer has fewer');
  t.same(dispatchFor(shared, 0), { kind: 'send', slot: 0 }, 'no load known: the answerer');
  t.same(dispatchFor(shared, 0, load([9, 0], 0)), { kind: 'send', slot: 0 }, "the answerer's batch is filling: it keeps it");
  t.same(dispatchFor(shared, 0, load([0, 9], 1)), { kind: 'send', slot: 1 }, "the spare's batch is filling: it keeps it");
  t.same(
    dispatchFor(at({ target: slot0 }), 0, load([0, 9], 1)),
    { kind: 'send', slot: 0 },
    'a spare no longer sharing: its batch is not kept',
  );
  const spareSuspect = at({ target: shared.target, suspect: { slot: 1, until: 10 } });
  t.same(dispatchFor(spareSuspect, 5, load([9, 0], 1)), { kind: 'send', slot: 0 }, 'a spare a send failed to reach gets nothing');
  const answererSuspect = at({ target: shared.target, suspect: { slot: 0, until: 10 } });
  t.same(
    dispatchFor(answererSuspect, 5, load([0, 9], 0)),
    { kind: 'send', slot: 1 },
    'nor a suspect answerer, while the spare can take it',
  );
  t.equal(releaseHeld(answererSuspect, 5), 'dispatch', 'so held queries go to the spare');
});

t.test('a spare stops sharing: a dead one is dropped, its leaving is seen, a suspicion of the answerer stays', async (t) => {
  const shared = at({ target: { kind: 'slot', slot: 0, spare: 1 } });
  t.same(nextRouting(shared, { type: 'SLOT_FAILED', slot: 1 }).target, slot0, 'a dead spare: the answerer alone');
  t.same(nextRouting(shared, { type: 'SLOT_FAILED', slot: 0 }).target, { kind: 'wait' }, 'a dead answerer: wait for the machine');
  t.equal(spareLeft(shared, at({ target: slot0 })), 1, 'the spare left (it fetches): its in-flight queries move');
  t.equal(spareLeft(shared, at({ target: { kind: 'wait' } })), 1, 'and when nobody is named');
  t.equal(spareLeft(shared, shared), null, 'still sharing');
  t.equal(spareLeft(shared, at({ target: slot1 })), null, 'promoted to answer the same version: it keeps what it has');
  t.equal(spareLeft(at({ target: slot0 }), at({ target: slot1 })), null, 'an old answerer is never moved from: it drains');
  const suspected = nextRouting(shared, { type: 'SEND_FAILED', slot: 0, now: 0, suspectMs: 50 });
  t.same(nextRouting(suspected, { type: 'TARGET', target: slot0 }).suspect, { slot: 0, until: 50 }, 'the spare going keeps it');
  t.same(nextRouting(suspected, { type: 'TARGET', target: slot1 }).suspect, null, 'a new answerer clears it');
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
