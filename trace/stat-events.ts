// The values `tandem stats` averages, read line by line from a trace or pino log: query latency
// from the main process's per-second `queries` records, fetch and swap durations from the
// statechart transitions (trace-spans.ts).
import type { StatKind } from './moving-average.js';
import { SpanTracker } from './trace-spans.js';

/** `sum` over `count` values of one kind at one time (a `queries` record aggregates a second). */
export interface StatEvent {
  timeMs: number;
  kind: StatKind;
  sum: number;
  count: number;
}

/** The main process's per-second record of each query route: written to the trace file, `kind: "queries"`. */
export interface QueriesRecord {
  ts: string;
  route: string;
  count: number;
  sumMs: number;
  maxMs: number;
}

export const QUERIES_KIND = 'queries';

export type LineResult = { ok: true; event: StatEvent | null } | { ok: false; reason: string };

type Fields = Record<string, unknown>;

/** A trace record's `ts` (ISO) or a pino line's `time` (ms since the epoch). */
function timeOf(fields: Fields): number | null {
  const raw = fields.ts ?? fields.time;
  const ms = typeof raw === 'string' ? Date.parse(raw) : typeof raw === 'number' ? raw : Number.NaN;
  return Number.isFinite(ms) ? ms : null;
}

const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0;
const isDuration = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;

/** Stateful (a fetch's end pairs with its start): one reader per input, lines in input order. */
export class StatEventReader {
  private readonly spans = new SpanTracker();

  read(line: string): LineResult {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return { ok: false, reason: 'not JSON' };
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { ok: false, reason: 'not a JSON object' };
    return this.readFields(parsed as Fields);
  }

  /** One record already parsed (the live service hands its records over as objects). */
  readFields(fields: Fields): LineResult {
    const timeMs = timeOf(fields);
    if (timeMs === null) return { ok: false, reason: 'no valid "ts" or "time"' };
    // The trace file's message key is `kind`; a pino log's default one is `msg`.
    if (fields.kind === QUERIES_KIND || fields.msg === QUERIES_KIND) {
      if (!isCount(fields.count) || !isDuration(fields.sumMs)) return { ok: false, reason: 'a queries record needs count and sumMs >= 0' };
      return { ok: true, event: fields.count === 0 ? null : { timeMs, kind: 'query', sum: fields.sumMs, count: fields.count } };
    }
    const { actor, event, from, to } = fields;
    if (typeof actor !== 'string' || typeof event !== 'string' || typeof to !== 'string') return { ok: true, event: null };
    const span = this.spans.onRecord({ actor, event, from: typeof from === 'string' ? from : null, to }, timeMs);
    return { ok: true, event: span ? { timeMs, kind: span.kind, sum: span.ms, count: 1 } : null };
  }
}
