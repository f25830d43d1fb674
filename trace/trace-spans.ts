// Fetches, swaps and crashes read off the statechart trace, so /metrics and `tandem stats` count
// them the same way and no machine carries counters of its own.
import type { TraceRecord } from './trace-record.js';

export type SpanKind = 'fetch' | 'swap';

/** A fetch or a swap that ended: how long it took and how it ended. */
export interface Span {
  kind: SpanKind;
  actor: string;
  ms: number;
  /** fetch: fetched, failed, crashed, stopped; swap: drained, retiring_crashed. */
  outcome: string;
  endMs: number;
}

type Transition = Pick<TraceRecord, 'actor' | 'event' | 'from' | 'to'>;

const inFetch = (state: string | null) => state !== null && (state === 'fetching' || state.startsWith('fetching.'));
const isSlot = (actor: string) => actor.startsWith('slot-');

/** A slot going down (the supervisor kills and restarts it); its reason is the event that took it there. */
export function crashOf(record: Transition): { slot: string; reason: string } | null {
  if (!isSlot(record.actor) || record.to !== 'crashed' || record.from === 'crashed') return null;
  return { slot: record.actor.slice('slot-'.length), reason: crashReason(record.event) };
}

/** Bounded: the machine's own event names (EXITED, HEARTBEAT_LOST, timeout:ackTimeout, ...) in snake case. */
export function crashReason(event: string): string {
  const name = event.startsWith('timeout:') ? event.slice('timeout:'.length) : event;
  return name
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_');
}

/** The moment the traffic switches to the new answerer (what `make trace` labels SWAP). */
export function isSwap(record: Transition): boolean {
  return record.actor === 'supervisor' && record.event === 'SLOT_ANSWERING' && record.from === 'promoting' && record.to === 'draining';
}

/**
 * Pairs starts with ends, per actor. A fetch: a slot entering `fetching` until it leaves it. A swap:
 * the supervisor promoting a newer version while one is served (from `fetching` or `serving`)
 * until the old answerer has drained (`draining` left for `serving` or `degraded`); a promotion
 * that never reached `draining` switched no traffic and is no swap.
 */
export class SpanTracker {
  private readonly started = new Map<string, number>();
  private readonly swapSwitched = new Set<string>();

  onRecord(record: Transition, timeMs: number): Span | null {
    const { actor, from, to, event } = record;
    if (isSlot(actor)) {
      if (!inFetch(from) && inFetch(to)) this.started.set(actor, timeMs);
      else if (inFetch(from) && !inFetch(to)) {
        const outcome = to === 'standby' ? 'fetched' : event === 'FETCH_FAILED' ? 'failed' : to === 'crashed' ? 'crashed' : 'stopped';
        return this.end('fetch', actor, timeMs, outcome);
      }
      return null;
    }
    if (actor !== 'supervisor') return null;
    if (to === 'promoting' && (from === 'fetching' || from === 'serving')) {
      this.started.set(actor, timeMs);
      this.swapSwitched.delete(actor);
    } else if (from === 'promoting' && to === 'draining') this.swapSwitched.add(actor);
    else if (from === 'promoting' && to !== 'promoting') this.started.delete(actor);
    else if (from === 'draining' && (to === 'serving' || to === 'degraded') && this.swapSwitched.delete(actor))
      return this.end('swap', actor, timeMs, event === 'SLOT_DRAINED' ? 'drained' : 'retiring_crashed');
    return null;
  }

  private end(kind: SpanKind, actor: string, timeMs: number, outcome: string): Span | null {
    const start = this.started.get(actor);
    this.started.delete(actor);
    // Out-of-order input can put an end before its start: no duration worth averaging.
    if (start === undefined || timeMs < start) return null;
    return { kind, actor, ms: timeMs - start, outcome, endMs: timeMs };
  }
}
