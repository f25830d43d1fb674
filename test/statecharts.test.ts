import t from 'tap';
import { startHarness } from './helpers/machine-harness.js';

t.test('boot: first version is fetched, then promoted to answerer', async (t) => {
  const h = startHarness();
  t.equal(h.state(), 'booting');
  t.same(h.spawned, [0, 1]);
  h.bootSlot(0);
  h.bootSlot(1);
  t.equal(h.state(), 'booting', 'nothing to serve until a version is seen');
  h.actor.send({ type: 'VERSION_SEEN', version: 'v1', path: '/d/v1' });
  t.equal(h.state(), 'loadingFirst');
  t.match(h.last(0), { type: 'FETCH', seq: 1, version: 'v1', path: '/d/v1' });
  h.completeFetch(0);
  t.equal(h.state(), 'promoting');
  t.match(h.last(0), { type: 'ANSWER', seq: 2, version: 'v1' });
  h.ackLast(0);
  t.equal(h.state(), 'serving');
  t.equal(h.context().answerer, 0);
  t.equal(h.context().servingVersion, 'v1');
  h.actor.stop();
});

t.test('swap cycle: fetcher loads newer version, takes over, old answerer drains', async (t) => {
  const h = startHarness();
  h.serveFirstVersion();
  h.actor.send({ type: 'VERSION_SEEN', version: 'v2', path: '/d/v2' });
  t.equal(h.state(), 'fetching');
  t.match(h.last(1), { type: 'FETCH', version: 'v2' });
  t.equal(h.context().answerer, 0, 'old answerer keeps answering while the fetch runs');
  h.completeFetch(1);
  t.equal(h.state(), 'promoting');
  t.equal(h.context().answerer, 0, 'no switch before the new answerer acked ANSWER');
  t.notOk(
    h.sent.some((s) => s.slot === 0 && s.command.type === 'DRAIN'),
    'no DRAIN before ANSWER is acked',
  );
  h.ackLast(1);
  t.equal(h.context().answerer, 1, 'queries switch the moment ANSWER is acked');
  t.equal(h.state(), 'draining');
  t.match(h.last(0), { type: 'DRAIN' });
  h.ackLast(0);
  t.equal(h.slotState(0), 'draining.awaitingDrained');
  h.slot(0).send({ type: 'DRAINED', seq: h.last(0)!.seq });
  t.equal(h.state(), 'serving');
  t.equal(h.slotState(0), 'idle');
  t.equal(h.context().servingVersion, 'v2');
  // and the next version goes to slot 0, the roles swapped
  h.actor.send({ type: 'VERSION_SEEN', version: 'v3', path: '/d/v3' });
  t.match(h.last(0), { type: 'FETCH', version: 'v3' });
  const swaps = h.records.filter((r) => r.actor === 'supervisor' && r.to === 'draining');
  t.equal(swaps.length, 1, 'the swap is in the trace');
  h.actor.stop();
});

t.test('a version older than the served one is never promoted', async (t) => {
  const h = startHarness();
  h.bootSlot(0);
  h.bootSlot(1);
  h.actor.send({ type: 'VERSION_SEEN', version: 'v5', path: '/d/v5' });
  h.completeFetch(0);
  h.ackLast(0);
  const sentBefore = h.sent.length;
  h.actor.send({ type: 'VERSION_SEEN', version: 'v4', path: '/d/v4' });
  t.equal(h.state(), 'serving');
  t.equal(h.sent.length, sentBefore, 'no fetch of an older version');
  h.actor.stop();
});

t.test('a missing ack times out: traced, child killed and respawned', async (t) => {
  const h = startHarness({ ackMs: 500, backoffBaseMs: 100 });
  h.bootSlot(0);
  h.bootSlot(1);
  h.actor.send({ type: 'VERSION_SEEN', version: 'v1', path: '/d/v1' });
  t.equal(h.slotState(0), 'fetching.awaitingAck');
  h.clock.increment(499);
  t.equal(h.slotState(0), 'fetching.awaitingAck');
  h.clock.increment(2);
  t.equal(h.slotState(0), 'crashed');
  t.match(h.killed, [{ slot: 0, reason: 'FETCH not acked in time' }]);
  t.ok(
    h.records.some((r) => r.actor === 'slot-0' && r.event === 'timeout:ackTimeout' && r.to === 'crashed'),
    'timeout traced',
  );
  t.ok(
    h.records.some((r) => r.actor === 'supervisor' && r.from === 'loadingFirst' && r.to === 'booting'),
    'supervisor gave up on that candidate',
  );
  t.equal(h.state(), 'loadingFirst', 'and at once tries the other slot');
  // slot 1 is ready and the version is known: the supervisor fetches there instead
  t.match(h.last(1), { type: 'FETCH', version: 'v1' });
  h.slot(0).send({ type: 'EXITED', code: null, signal: 'SIGKILL' });
  t.equal(h.slotState(0), 'backoff');
  h.clock.increment(100);
  t.equal(h.slotState(0), 'spawning');
  t.same(h.spawned, [0, 1, 0], 'respawned after backoff');
  h.actor.stop();
});

t.test('a stale ack is ignored and traced, never applied', async (t) => {
  const h = startHarness();
  h.bootSlot(0);
  h.bootSlot(1);
  h.actor.send({ type: 'VERSION_SEEN', version: 'v1', path: '/d/v1' });
  const fetchSeq = h.last(0)!.seq;
  h.slot(0).send({ type: 'ACK', seq: fetchSeq - 1 });
  t.equal(h.slotState(0), 'fetching.awaitingAck', 'old seq does not advance the state');
  t.same(h.stale, [{ slot: 0, seq: fetchSeq - 1, expected: fetchSeq }]);
  h.slot(0).send({ type: 'FETCHED', seq: fetchSeq + 7, version: 'v1', count: 1, dims: 4, loadMs: 1 });
  t.equal(h.slotState(0), 'fetching.awaitingAck', 'FETCHED for another seq is not applied');
  t.ok(
    h.records.some((r) => r.actor === 'slot-0' && r.event === 'ACK' && r.from === r.to),
    'stale ack traced',
  );
  h.actor.stop();
});

t.test('answerer crash: the other child, if it holds an index, takes over', async (t) => {
  const h = startHarness();
  h.serveFirstVersion();
  h.actor.send({ type: 'VERSION_SEEN', version: 'v2', path: '/d/v2' });
  h.swap(1, 0);
  t.equal(h.context().answerer, 1);
  t.equal(h.context().slots[0]!.version, 'v1', 'old answerer still holds v1 after draining');
  h.slot(1).send({ type: 'EXITED', code: null, signal: 'SIGKILL' });
  t.equal(h.state(), 'promoting', 'failover to the child that still holds an index');
  t.equal(h.context().answerer, null);
  h.ackLast(0);
  t.equal(h.context().answerer, 0);
  t.equal(h.state(), 'serving');
  h.actor.stop();
});

t.test('answerer crash with nobody holding an index: degraded, then recovers', async (t) => {
  const h = startHarness({ backoffBaseMs: 50 });
  h.serveFirstVersion();
  h.slot(0).send({ type: 'EXITED', code: 1, signal: null });
  t.equal(h.context().answerer, null);
  // slot 1 is idle and v1 is the latest: it fetches at once
  t.equal(h.state(), 'loadingFirst');
  t.ok(
    h.records.some((r) => r.actor === 'supervisor' && r.to === 'degraded'),
    'degraded traced',
  );
  h.completeFetch(1);
  h.ackLast(1);
  t.equal(h.context().answerer, 1);
  t.equal(h.state(), 'serving');
  h.actor.stop();
});

t.test('fetch failure quarantines the version; serving continues', async (t) => {
  const h = startHarness();
  h.serveFirstVersion();
  h.actor.send({ type: 'VERSION_SEEN', version: 'v2', path: '/d/v2' });
  const fetch = h.last(1)!;
  h.slot(1).send({ type: 'ACK', seq: fetch.seq });
  h.slot(1).send({ type: 'FETCH_FAILED', seq: fetch.seq, version: 'v2', error: 'checksum', code: 'CHECKSUM_MISMATCH' });
  t.equal(h.state(), 'serving');
  t.same(h.context().quarantined, ['v2']);
  const count = h.sent.length;
  h.actor.send({ type: 'VERSION_SEEN', version: 'v2', path: '/d/v2' });
  t.equal(h.sent.length, count, 'quarantined version not retried');
  h.actor.send({ type: 'VERSION_SEEN', version: 'v3', path: '/d/v3' });
  t.match(h.last(1), { type: 'FETCH', version: 'v3' });
  h.actor.stop();
});

t.test('heartbeat loss kills an answering child but not a fetching one', async (t) => {
  const h = startHarness();
  h.serveFirstVersion();
  h.actor.send({ type: 'VERSION_SEEN', version: 'v2', path: '/d/v2' });
  h.ackLast(1);
  h.slot(1).send({ type: 'HEARTBEAT_LOST', silentMs: 9000 });
  t.equal(h.slotState(1), 'fetching.loading', 'a loading child may be silent');
  h.slot(0).send({ type: 'HEARTBEAT_LOST', silentMs: 9000 });
  t.equal(h.slotState(0), 'crashed');
  h.actor.stop();
});

t.test('shutdown: both slots get SHUTDOWN, machine stops when both exited', async (t) => {
  const h = startHarness();
  h.serveFirstVersion();
  h.actor.send({ type: 'SHUTDOWN' });
  t.match(h.last(0), { type: 'SHUTDOWN' });
  t.match(h.last(1), { type: 'SHUTDOWN' });
  h.ackLast(0);
  h.slot(0).send({ type: 'EXITED', code: 0, signal: null });
  h.slot(1).send({ type: 'EXITED', code: 0, signal: null });
  t.equal(h.actor.getSnapshot().status, 'done');
});

t.test('restart intensity: too many crashes in the window slow the restarts down', async (t) => {
  const h = startHarness({
    maxRestarts: 2,
    restartWindowMs: 10_000,
    backoffBaseMs: 10,
    backoffMaxMs: 10,
    limitedRetryMs: 5_000,
    spawnMs: 100,
  });
  // Let slot 0 fail to spawn over and over: each spawn times out.
  for (let crash = 1; crash <= 3; crash++) {
    h.clock.increment(100); // spawn timeout -> crashed -> (no process) backoff or restartLimited
    if (crash <= 2) h.clock.increment(10); // backoff -> spawning
  }
  t.equal(h.slotState(0), 'restartLimited');
  t.match(h.limited, [{ slot: 0, crashes: 3 }]);
  t.ok(
    h.records.some((r) => r.actor === 'slot-0' && r.to === 'restartLimited'),
    'traced',
  );
  const spawnsBefore = h.spawned.filter((s) => s === 0).length;
  h.clock.increment(4_999);
  t.equal(h.spawned.filter((s) => s === 0).length, spawnsBefore, 'no restart storm');
  h.clock.increment(1);
  t.equal(h.slotState(0), 'spawning', 'and it keeps trying, slowly');
  h.actor.stop();
});

t.test('standby: the spare child loads the served version, and takes over at once on a crash', async (t) => {
  const h = startHarness({}, { standby: true });
  h.serveFirstVersion();
  t.equal(h.state(), 'fetching');
  t.match(h.last(1), { type: 'FETCH', version: 'v1' }, 'the spare fetches the served version');
  h.completeFetch(1);
  t.equal(h.state(), 'serving', 'same version: no promotion, no swap');
  t.equal(h.slotState(1), 'standby');
  t.equal(h.context().answerer, 0);
  h.slot(0).send({ type: 'EXITED', code: null, signal: 'SIGKILL' });
  t.equal(h.state(), 'promoting', 'the standby takes over');
  h.ackLast(1);
  t.equal(h.context().answerer, 1);
  // a newer version still goes through the normal cycle, to the spare
  h.actor.send({ type: 'VERSION_SEEN', version: 'v2', path: '/d/v2' });
  t.equal(h.slotState(0), 'backoff', 'an exited child goes straight to backoff');
  h.clock.increment(200);
  h.bootSlot(0);
  t.match(h.last(0), { type: 'FETCH', version: 'v2' });
  h.actor.stop();
});

t.test('LATEST quarantined and nobody serving: the newest good version is fetched instead', async (t) => {
  const h = startHarness({ backoffBaseMs: 10 });
  h.serveFirstVersion();
  h.actor.send({ type: 'VERSION_SEEN', version: 'v2', path: '/d/v2' });
  const fetch = h.last(1)!;
  h.slot(1).send({ type: 'ACK', seq: fetch.seq });
  h.slot(1).send({ type: 'FETCH_FAILED', seq: fetch.seq, version: 'v2', error: 'bad', code: 'CHECKSUM_MISMATCH' });
  t.same(h.context().quarantined, ['v2']);
  h.slot(0).send({ type: 'EXITED', code: null, signal: 'SIGKILL' });
  t.equal(h.context().answerer, null);
  t.equal(h.state(), 'loadingFirst', 'no waiting for a newer version than the bad one');
  t.match(h.last(1), { type: 'FETCH', version: 'v1', path: '/d/v1' });
  h.actor.stop();
});

t.test('first fetch fails: the next good version is tried, nothing waits forever', async (t) => {
  const h = startHarness();
  h.actor.send({ type: 'VERSION_SEEN', version: 'v1', path: '/d/v1' });
  h.actor.send({ type: 'VERSION_SEEN', version: 'v2', path: '/d/v2' });
  h.bootSlot(0);
  h.bootSlot(1);
  const fetch = h.last(0)!;
  t.match(fetch, { type: 'FETCH', version: 'v2' });
  h.slot(0).send({ type: 'ACK', seq: fetch.seq });
  h.slot(0).send({ type: 'FETCH_FAILED', seq: fetch.seq, version: 'v2', error: 'bad', code: 'CHECKSUM_MISMATCH' });
  t.equal(h.state(), 'loadingFirst');
  t.match([...h.sent].reverse().find((s) => s.command.type === 'FETCH')!.command, { version: 'v1' });
  t.ok(
    h.records.every((r) => !(r.event === 'ACK' && r.stale)),
    'a current ack is not marked stale',
  );
  h.actor.stop();
});

t.test('standby waits out the swap window before loading the new version', async (t) => {
  const h = startHarness({}, { standby: true, standbyDelayMs: 3000 });
  h.serveFirstVersion();
  t.equal(h.state(), 'fetching', 'no swap to keep clear after the first promotion: the spare loads the served version at once');
  h.completeFetch(1);
  h.actor.send({ type: 'VERSION_SEEN', version: 'v2', path: '/d/v2' });
  h.swap(1, 0);
  t.equal(h.context().answerer, 1);
  const fetchesBefore = h.sent.filter((s) => s.command.type === 'FETCH').length;
  h.clock.increment(2999);
  t.equal(h.sent.filter((s) => s.command.type === 'FETCH').length, fetchesBefore, 'the old answerer keeps v1 during the window');
  t.equal(h.context().slots[0]!.version, 'v1');
  h.clock.increment(1);
  t.match(h.last(0), { type: 'FETCH', version: 'v2' }, 'then it becomes the standby for v2');
  h.actor.stop();
});

t.test('after a failover the restarted child loads the served version at once, not after the standby delay', async (t) => {
  const h = startHarness({ backoffBaseMs: 200 }, { standby: true, standbyDelayMs: 3000 });
  h.serveFirstVersion();
  h.completeFetch(1); // standby for v1
  h.actor.send({ type: 'VERSION_SEEN', version: 'v2', path: '/d/v2' });
  h.swap(1, 0);
  h.clock.increment(3000);
  h.completeFetch(0); // slot 0 stands by for v2 after the swap window
  t.equal(h.slotState(0), 'standby');
  h.slot(1).send({ type: 'EXITED', code: null, signal: 'SIGKILL' });
  h.ackLast(0);
  t.equal(h.context().answerer, 0, 'failover to the standby');
  h.clock.increment(200);
  h.bootSlot(1);
  t.match(h.last(1), { type: 'FETCH', version: 'v2' }, 'the restarted child fetches the served version without waiting');
  h.completeFetch(1);
  t.equal(h.slotState(1), 'standby', 'redundancy is back after one backoff and one fetch');
  // A second kill right away finds a standby, not a 3 s hole.
  h.slot(0).send({ type: 'EXITED', code: null, signal: 'SIGKILL' });
  t.equal(h.state(), 'promoting');
  h.ackLast(1);
  t.equal(h.context().answerer, 1);
  h.actor.stop();
});

t.test('restart intensity counts crash loops only: a child killed after it loaded restarts at the backoff pace', async (t) => {
  const h = startHarness(
    { maxRestarts: 2, restartWindowMs: 60_000, backoffBaseMs: 100, backoffMaxMs: 100, limitedRetryMs: 30_000 },
    { standby: true },
  );
  h.serveFirstVersion();
  h.completeFetch(1);
  for (let kill = 1; kill <= 6; kill++) {
    const victim = h.context().answerer!;
    h.slot(victim).send({ type: 'EXITED', code: null, signal: 'SIGKILL' });
    h.ackLast(1 - victim); // the standby takes over
    t.equal(h.slotState(victim), 'backoff', `kill ${kill}: restarting at the backoff pace`);
    h.clock.increment(100);
    h.bootSlot(victim);
    h.completeFetch(victim);
    t.equal(h.slotState(victim), 'standby', `kill ${kill}: back as the standby`);
  }
  t.same(h.limited, [], 'six kills of healthy children within the window: never restart-limited');
  // A child that dies before it ever loads is a crash loop, and is held back. (Its first crash,
  // as the loaded standby, does not count: three more do.)
  const victim = h.context().answerer === 0 ? 1 : 0;
  for (let crash = 1; crash <= 4; crash++) {
    h.slot(victim).send({ type: 'EXITED', code: 1, signal: null });
    if (crash < 4) {
      h.clock.increment(100);
      h.bootSlot(victim);
    }
  }
  t.equal(h.slotState(victim), 'restartLimited');
  t.match(h.limited, [{ slot: victim, crashes: 3 }]);
  h.actor.stop();
});

t.test('a load that failed for a passing reason is retried after a backoff, and quarantined only after three in a row', async (t) => {
  const h = startHarness();
  h.bootSlot(0);
  h.bootSlot(1);
  h.actor.send({ type: 'VERSION_SEEN', version: 'v1', path: '/d/v1' });
  const fail = (slot: number) => {
    const fetch = h.last(slot)!;
    h.slot(slot).send({ type: 'ACK', seq: fetch.seq });
    h.slot(slot).send({ type: 'FETCH_FAILED', seq: fetch.seq, version: 'v1', error: 'EMFILE', code: 'LOAD_FAILED' });
  };
  fail(0);
  t.same(h.context().quarantined, [], 'a passing failure does not quarantine');
  t.equal(h.state(), 'booting');
  const fetches = () => h.sent.filter((s) => s.command.type === 'FETCH').length;
  const before = fetches();
  h.clock.increment(999);
  t.equal(fetches(), before, 'nothing before the backoff');
  h.clock.increment(1);
  t.equal(h.state(), 'loadingFirst', 'retried after 1 s');
  fail(0);
  h.clock.increment(2000);
  t.equal(h.state(), 'loadingFirst', 'retried again after 2 s');
  fail(0);
  t.same(h.context().quarantined, ['v1'], 'three in a row: treated as the version’s own fault');
  h.actor.send({ type: 'VERSION_SEEN', version: 'v2', path: '/d/v2' });
  t.match(h.last(0), { type: 'FETCH', version: 'v2' });
  h.completeFetch(0);
  h.ackLast(0);
  t.equal(h.state(), 'serving', 'and the next good version is served');
  h.actor.stop();
});

t.test('a load that recovers is served: the shortest sequence no longer ends in booting forever', async (t) => {
  const h = startHarness();
  h.actor.send({ type: 'VERSION_SEEN', version: 'v1', path: '/d/v1' });
  h.bootSlot(0);
  const fetch = h.last(0)!;
  h.slot(0).send({ type: 'ACK', seq: fetch.seq });
  h.slot(0).send({ type: 'FETCH_FAILED', seq: fetch.seq, version: 'v1', error: 'out of memory', code: 'LOAD_FAILED' });
  h.clock.increment(1000);
  h.completeFetch(0);
  h.ackLast(0);
  t.equal(h.state(), 'serving');
  t.same(h.context().retries, {}, 'a success forgets the failures');
  h.actor.stop();
});

t.test('a failed standby fetch never quarantines the served version; it stays eligible for failover', async (t) => {
  for (const code of ['LOAD_FAILED', 'CHECKSUM_MISMATCH'] as const) {
    const h = startHarness({}, { standby: true });
    h.serveFirstVersion();
    const fetch = h.last(1)!;
    t.match(fetch, { type: 'FETCH', version: 'v1' }, `${code}: the spare fetches the served version`);
    h.slot(1).send({ type: 'ACK', seq: fetch.seq });
    h.slot(1).send({ type: 'FETCH_FAILED', seq: fetch.seq, version: 'v1', error: 'failed', code });
    t.same(h.context().quarantined, [], `${code}: the served version is not quarantined`);
    t.equal(h.state(), 'serving');
    const fetches = () => h.sent.filter((s) => s.slot === 1 && s.command.type === 'FETCH').length;
    const before = fetches();
    h.clock.increment(999);
    t.equal(fetches(), before, `${code}: the standby does not retry in a tight loop`);
    h.clock.increment(1);
    t.equal(fetches(), before + 1, `${code}: it retries after the backoff`);
    // The answerer dies while the spare has nothing: the served version is fetched again, not 503 forever.
    h.slot(0).send({ type: 'EXITED', code: null, signal: 'SIGKILL' });
    t.equal(h.state(), 'loadingFirst', `${code}: the fetch under way carries on with nobody answering`);
    h.completeFetch(1);
    h.ackLast(1);
    t.equal(h.state(), 'serving', `${code}: served again`);
    t.equal(h.context().servingVersion, 'v1');
    h.actor.stop();
  }
});

t.test('the supervisor never sees a slot as ready while it fetches', async (t) => {
  const h = startHarness();
  h.serveFirstVersion();
  h.actor.send({ type: 'VERSION_SEEN', version: 'v2', path: '/d/v2' });
  const fetch = h.last(1)!;
  h.slot(1).send({ type: 'ACK', seq: fetch.seq });
  h.actor.send({ type: 'VERSION_SEEN', version: 'v3', path: '/d/v3' });
  // The failure sends FETCH_FAILED, then the slot's SLOT_IDLE; the first already starts the next fetch.
  h.slot(1).send({ type: 'FETCH_FAILED', seq: fetch.seq, version: 'v2', error: 'bad', code: 'CHECKSUM_MISMATCH' });
  t.match(h.last(1), { type: 'FETCH', version: 'v3' }, 'the next version is fetched at once');
  t.equal(h.slotState(1), 'fetching.awaitingAck');
  t.equal(h.context().slots[1]!.ready, false, 'and the view says busy, not ready');
  h.actor.stop();
});

t.test('a reply after its timeout is traced as late, a handshake message out of place as unexpected: never dropped silently', async (t) => {
  const h = startHarness({ ackMs: 500, backoffBaseMs: 10_000 });
  h.bootSlot(0);
  h.bootSlot(1);
  h.slot(1).send({ type: 'HELLO', pid: 1 });
  t.match(h.unexpected, [{ slot: 1, type: 'HELLO' }], 'a second HELLO is noted');
  t.ok(
    h.records.some((r) => r.actor === 'slot-1' && r.event === 'HELLO' && r.from === 'idle' && r.to === 'idle'),
    'and traced',
  );
  h.actor.send({ type: 'VERSION_SEEN', version: 'v1', path: '/d/v1' });
  const fetch = h.last(0)!;
  h.clock.increment(500);
  t.equal(h.slotState(0), 'crashed', 'the ACK timed out');
  h.slot(0).send({ type: 'EXITED', code: null, signal: 'SIGKILL' });
  h.slot(0).send({ type: 'ACK', seq: fetch.seq });
  const late = h.records.find((r) => r.actor === 'slot-0' && r.event === 'ACK');
  t.match(late, { seq: fetch.seq, late: true }, 'the ACK with the current seq, after its timeout, is traced as late');
  t.notOk(late?.stale, 'not as an old one');
  h.slot(0).send({ type: 'SPAWNED', pid: 77 });
  t.match(h.unexpected.at(-1), { slot: 0, type: 'SPAWNED' }, 'a SPAWNED while restarting is not waited for yet: noted');
  h.actor.stop();
});
