// Turns XState inspection events into our own trace records. The record format is ours, not
// XState's: the inspection event set changes between major versions.
import type { InspectionEvent } from 'xstate';

export interface TraceRecord {
  ts: string;
  actor: string;
  event: string;
  from: string | null;
  to: string;
  seq?: number;
  version?: string;
  slot?: number;
  /** A reply carrying an older command's sequence number: ignored, never applied. */
  stale?: true;
  /** A reply for the current command that came after it had timed out: ignored, never applied. */
  late?: true;
  detail?: string;
}

// A reply handled where no command is awaited: the slot had given up on it (crashed, restarting).
const GAVE_UP = /^(crashed|backoff|restartLimited|spawning|handshake|stopping|stopped)$/;
function lateAfterTimeout(from: string | null, to: string): boolean {
  return from !== null && from === to && GAVE_UP.test(to);
}

export function stateToString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([key, child]) => `${key}.${stateToString(child)}`)
      .join(',');
  }
  return String(value);
}

/** XState names a delayed transition `xstate.after.<delay>.<state id>`; a person reads "timeout". */
export function describeEvent(type: string): string {
  const after = /^xstate\.after\.(\w+)\./.exec(type);
  return after ? `timeout:${after[1]}` : type;
}

// Keys of events or contexts that must never reach a trace (per-run secrets).
const SECRET_KEYS = new Set(['token', 'session']);

function pickDetail(event: Record<string, unknown>): string | undefined {
  const parts: string[] = [];
  for (const key of ['reason', 'error', 'code', 'pid', 'silentMs', 'expected']) {
    if (key in event && !SECRET_KEYS.has(key)) parts.push(`${key}=${String(event[key])}`);
  }
  return parts.length ? parts.join(' ') : undefined;
}

export function createTraceRecorder(sink: (record: TraceRecord) => void, now: () => number = Date.now) {
  const lastState = new Map<string, string>();
  return (inspection: InspectionEvent): void => {
    // A microstep is one transition, eventless ones included, so passing states show up too;
    // the initial state has no microstep, only its snapshot.
    const isInitial = inspection.type === '@xstate.snapshot' && inspection.event.type === 'xstate.init';
    if (inspection.type !== '@xstate.microstep' && !isInitial) return;
    const snapshot = (inspection as { snapshot: unknown }).snapshot as {
      value?: unknown;
      context?: Record<string, unknown>;
      status?: string;
    };
    if (snapshot.value === undefined) return;
    const actor = (inspection.actorRef as { id?: string }).id ?? '?';
    const to = stateToString(snapshot.value);
    const from = lastState.get(actor) ?? null;
    lastState.set(actor, to);
    const event = (inspection as { event: Record<string, unknown> & { type: string } }).event;
    const context = snapshot.context ?? {};
    const record: TraceRecord = { ts: new Date(now()).toISOString(), actor, event: describeEvent(event.type), from, to };
    const seq = typeof event.seq === 'number' ? event.seq : typeof context.seq === 'number' ? context.seq : undefined;
    if (seq !== undefined) record.seq = seq;
    if (typeof event.seq === 'number' && typeof context.seq === 'number' && event.seq !== context.seq) record.stale = true;
    // The current seq, but after its command timed out (the slot moved on): late, not old.
    else if (typeof event.seq === 'number' && event.seq === context.seq && lateAfterTimeout(from, to)) record.late = true;
    const version =
      typeof event.version === 'string'
        ? event.version
        : typeof context.servingVersion === 'string'
          ? context.servingVersion
          : typeof context.version === 'string'
            ? context.version
            : undefined;
    if (version !== undefined) record.version = version;
    if (typeof event.slot === 'number') record.slot = event.slot;
    const detail = pickDetail(event);
    if (detail) record.detail = detail;
    sink(record);
  };
}
