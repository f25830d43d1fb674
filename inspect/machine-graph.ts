// A statechart as plain data for the /inspect page: every state (nested ones with their parent)
// and every transition (event, `after` delay or eventless `always`, guard, targets), read from the
// XState machine definition itself, so the drawing changes whenever a machine does.
import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';

export interface GraphState {
  /** XState's state id, e.g. `slot.fetching.awaitingAck`; the machine's root is `slot`. */
  id: string;
  key: string;
  /** Null for the machine's root. */
  parent: string | null;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  /** The state its parent enters first. */
  initial: boolean;
}

export interface GraphTransition {
  /** Unique within its machine: `<source>#<index>`. */
  id: string;
  source: string;
  /** Empty for a transition that runs actions and stays (no target). */
  targets: string[];
  kind: 'event' | 'after' | 'always';
  /** The event type for `event`; the delay's name (or ms) for `after`; `always` for eventless ones. */
  event: string;
  guard?: string;
  /** Re-enters its target even when it is the source or an ancestor of it. */
  reenter?: true;
}

export interface MachineGraph {
  id: string;
  states: GraphState[];
  transitions: GraphTransition[];
}

/** XState names the event of `after: { ackTimeout: ... }` `xstate.after.ackTimeout.<state id>`. */
const AFTER_EVENT = /^xstate\.after\./;

/** A guard by name: `isCurrent`, `fromCandidate & hasServed`, `!x`; an inline function by its name. */
export function describeGuard(guard: unknown): string | undefined {
  if (guard === undefined || guard === null) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const combined = (guard as { guards?: unknown[] }).guards;
    if (Array.isArray(combined)) {
      const joiner = guard.name === 'or' ? ' | ' : ' & ';
      const parts = combined.map((part) => describeGuard(part) ?? '?');
      return guard.name === 'not' ? `!${parts[0]}` : parts.join(joiner);
    }
    // An arrow written in place (`guard: ({ context }) => ...`) is named after the key: it has no name of its own.
    return guard.name && guard.name !== 'guard' ? `${guard.name}()` : 'inline';
  }
  if (typeof guard === 'object' && 'type' in guard && typeof guard.type === 'string') return guard.type;
  return 'inline';
}

function walk(node: AnyStateNode, parent: AnyStateNode | null, graph: MachineGraph): void {
  const initialOf = parent?.initial?.target?.map((target: AnyStateNode) => target.id) ?? [];
  graph.states.push({ id: node.id, key: node.key, parent: parent?.id ?? null, type: node.type, initial: initialOf.includes(node.id) });
  const delays = new Map(node.after.map((after) => [after.eventType, after.delay]));
  let index = 0;
  const add = (kind: GraphTransition['kind'], event: string, definition: AnyTransitionDefinition) => {
    const transition: GraphTransition = {
      id: `${node.id}#${index++}`,
      source: node.id,
      targets: (definition.target ?? []).map((target: AnyStateNode) => target.id),
      kind,
      event,
    };
    const guard = describeGuard(definition.guard);
    if (guard) transition.guard = guard;
    if (definition.reenter) transition.reenter = true;
    graph.transitions.push(transition);
  };
  for (const [eventType, definitions] of node.transitions) {
    const delay = AFTER_EVENT.test(eventType) ? delays.get(eventType) : undefined;
    for (const definition of definitions) add(delay === undefined ? 'event' : 'after', String(delay ?? eventType), definition);
  }
  for (const definition of node.always ?? []) add('always', 'always', definition);
  for (const child of Object.values(node.states)) walk(child, node, graph);
}

/** The machine's states, root first then depth first in definition order, and their transitions. */
export function machineGraph(machine: AnyStateMachine): MachineGraph {
  const graph: MachineGraph = { id: machine.id, states: [], transitions: [] };
  walk(machine.root, null, graph);
  return graph;
}
