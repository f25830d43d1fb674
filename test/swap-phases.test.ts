// The swap benchmark's phases: a swap is measured from the builder's publish start (its copy, hash
// and fsync come before the supervisor notices anything) to the swap's end, and the standby fetch
// apart from it; the rest is the quiet baseline.
import t from 'tap';
import { phaseAt, type SupervisorTransition, tandemPhases } from '../bench/swap-phases.js';

const at = (t: number, from: string | null, to: string): SupervisorTransition => ({ t, from, to });

// Publish at 1000 (done at 1600); the supervisor sees it at 1700, swaps by 2500, fetches the standby from 5500 to 6400.
const oneSwap = [
  at(0, null, 'booting'),
  at(300, 'booting', 'serving'),
  at(1700, 'serving', 'fetching'),
  at(2300, 'fetching', 'promoting'),
  at(2310, 'promoting', 'draining'),
  at(2500, 'draining', 'serving'),
  at(5500, 'serving', 'fetching'),
  at(6400, 'fetching', 'serving'),
];

t.test('a swap from the publish start, then the standby fetch', async (t) => {
  const phases = tandemPhases(oneSwap, [{ start: 1000, end: 1600 }]);
  t.same(phases, [
    { kind: 'publishToSwap', start: 1000, end: 2500 },
    { kind: 'standbyFetch', start: 5500, end: 6400 },
  ]);
  t.equal(phaseAt(phases, 1200), 'publishToSwap', 'a request during the publish, before the supervisor leaves serving, is in the swap');
  t.equal(phaseAt(phases, 3000), null, 'between the swap and the standby fetch: quiet');
  t.equal(phaseAt(phases, 5000, 600), 'standbyFetch', 'a request sent before the standby fetch and answered during it overlaps it');
  t.equal(phaseAt(phases, 900, 50), null, 'one answered before the publish started: quiet');
  t.equal(phaseAt(phases, 7000), null, 'after the standby fetch: quiet');
});

t.test('a fetch that starts after the next publish is that publish’s, not a standby', async (t) => {
  const transitions = [
    ...oneSwap.slice(0, 6),
    at(4100, 'serving', 'fetching'),
    at(4900, 'fetching', 'promoting'),
    at(5000, 'promoting', 'serving'),
  ];
  const phases = tandemPhases(transitions, [
    { start: 1000, end: 1600 },
    { start: 4000, end: 4050 },
  ]);
  t.same(phases, [
    { kind: 'publishToSwap', start: 1000, end: 2500 },
    { kind: 'publishToSwap', start: 4000, end: 5000 },
  ]);
});

t.test('a swap that never ends spans its publish only', async (t) => {
  const phases = tandemPhases(
    [at(0, null, 'serving'), at(1700, 'serving', 'fetching'), at(1900, 'fetching', 'serving')],
    [{ start: 1000, end: 1600 }],
  );
  t.same(phases, [{ kind: 'publishToSwap', start: 1000, end: 1600 }]);
});

t.test('where a standby fetch and the next swap overlap, the swap counts', async (t) => {
  const phases = [
    { kind: 'standbyFetch' as const, start: 0, end: 100 },
    { kind: 'publishToSwap' as const, start: 50, end: 200 },
  ];
  t.equal(phaseAt(phases, 60), 'publishToSwap');
  t.equal(phaseAt(phases, 10), 'standbyFetch');
});
