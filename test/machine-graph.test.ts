// The graph the /inspect page draws is the machine definition: every state and every transition
// of the real machines is in it, counted against their raw config (a walk independent of the
// StateNode API the graph is read from), and a small machine comes out exactly as written.
import t from 'tap';
import { and, not, setup } from 'xstate';
import { machineGraph } from '../inspect/machine-graph.js';
import { slotMachine } from '../statecharts/slot.js';
import { supervisorMachine } from '../statecharts/supervisor.js';

interface StateConfig {
  on?: Record<string, unknown>;
  after?: Record<string, unknown>;
  always?: unknown;
  states?: Record<string, StateConfig>;
}

const countOf = (value: unknown): number => (Array.isArray(value) ? value.length : value === undefined ? 0 : 1);

/** Per state id, how many transitions of each kind the config declares: `<id> <kind> <event>` -> count. */
function declared(id: string, config: StateConfig, into = new Map<string, number>()): Map<string, number> {
  const add = (key: string, n: number) => n > 0 && into.set(key, (into.get(key) ?? 0) + n);
  for (const [event, value] of Object.entries(config.on ?? {})) add(`${id} event ${event}`, countOf(value));
  for (const [delay, value] of Object.entries(config.after ?? {})) add(`${id} after ${delay}`, countOf(value));
  add(`${id} always always`, countOf(config.always));
  for (const [key, child] of Object.entries(config.states ?? {})) declared(`${id}.${key}`, child, into);
  return into;
}

function stateIds(id: string, config: StateConfig): string[] {
  return [id, ...Object.entries(config.states ?? {}).flatMap(([key, child]) => stateIds(`${id}.${key}`, child))];
}

for (const machine of [slotMachine, supervisorMachine]) {
  t.test(`${machine.id}: every state and transition of the definition is in the graph`, async (t) => {
    const graph = machineGraph(machine);
    const config = machine.config as StateConfig;
    t.same(
      graph.states.map((state) => state.id),
      stateIds(machine.id, config),
      'the states, nested ones included',
    );
    const drawn = new Map<string, number>();
    for (const transition of graph.transitions) {
      const key = `${transition.source} ${transition.kind} ${transition.event}`;
      drawn.set(key, (drawn.get(key) ?? 0) + 1);
    }
    t.same(Object.fromEntries(drawn), Object.fromEntries(declared(machine.id, config)), 'each state, event and delay: as many transitions');
    const ids = new Set(graph.states.map((state) => state.id));
    for (const transition of graph.transitions) {
      for (const target of transition.targets) t.ok(ids.has(target), `${transition.id} targets a state of the graph (${target})`);
    }
    t.equal(new Set(graph.transitions.map((transition) => transition.id)).size, graph.transitions.length, 'transition ids are unique');
    t.ok(
      graph.states.filter((state) => state.initial).every((state) => state.parent !== null),
      'only children are initial, one per compound state',
    );
  });
}

t.test('a small machine comes out exactly as written: targets, delays, always, guards, targetless handlers', async (t) => {
  const machine = setup({
    guards: { ready: () => true, fresh: () => true },
    delays: { patience: 100 },
  }).createMachine({
    id: 'm',
    initial: 'a',
    on: { STOP: { target: '.done' }, PING: {} },
    states: {
      a: {
        initial: 'one',
        states: {
          one: { on: { NEXT: 'two' }, after: { patience: '#m.done' } },
          two: { always: { guard: and(['ready', not('fresh')]), target: '#m.b' } },
        },
      },
      b: { on: { BACK: [{ guard: 'ready', target: 'a' }, { target: 'done' }] }, after: { 500: 'a' } },
      done: { type: 'final' },
    },
  });
  const graph = machineGraph(machine);
  t.same(graph.states, [
    { id: 'm', key: 'm', parent: null, type: 'compound', initial: false },
    { id: 'm.a', key: 'a', parent: 'm', type: 'compound', initial: true },
    { id: 'm.a.one', key: 'one', parent: 'm.a', type: 'atomic', initial: true },
    { id: 'm.a.two', key: 'two', parent: 'm.a', type: 'atomic', initial: false },
    { id: 'm.b', key: 'b', parent: 'm', type: 'atomic', initial: false },
    { id: 'm.done', key: 'done', parent: 'm', type: 'final', initial: false },
  ]);
  t.same(
    graph.transitions.map(({ source, targets, kind, event, guard }) => ({ source, targets, kind, event, guard })),
    [
      { source: 'm', targets: ['m.done'], kind: 'event', event: 'STOP', guard: undefined },
      { source: 'm', targets: [], kind: 'event', event: 'PING', guard: undefined },
      { source: 'm.a.one', targets: ['m.a.two'], kind: 'event', event: 'NEXT', guard: undefined },
      { source: 'm.a.one', targets: ['m.done'], kind: 'after', event: 'patience', guard: undefined },
      { source: 'm.a.two', targets: ['m.b'], kind: 'always', event: 'always', guard: 'ready & !fresh' },
      { source: 'm.b', targets: ['m.a'], kind: 'event', event: 'BACK', guard: 'ready' },
      { source: 'm.b', targets: ['m.done'], kind: 'event', event: 'BACK', guard: undefined },
      { source: 'm.b', targets: ['m.a'], kind: 'after', event: '500', guard: undefined },
    ],
  );
});
