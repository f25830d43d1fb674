// The sending side of the query router: a tick's queries for one child leave as one message, and
// each slot's load is counted here because that is what a spare shares the queries by.
import type { Logger } from 'pino';
import type { Router } from 'zeromq';
import { slotRoutingId } from '../channel/protocol.js';
import { encodeQueries, type Query } from '../channel/query-batch.js';
import { SocketWriter } from '../channel/socket-writer.js';

/** What the outbox needs of a pending query. */
export interface Outgoing {
  query: Query;
  /** A search query's vector, raw float32, kept for a retry. */
  vector: Buffer | null;
  slot: number | null;
}

export interface QueryOutboxOptions {
  /** A batch this full is sent at once (QueryRouterOptions.maxBatch). */
  maxBatch: number;
  /** The profile store's change seq, sent with every batch (roles/answer.ts catches up to it). */
  currentSeq?: () => number;
  /** The router's counters; the outbox counts what it sends. */
  stats: { sent: number };
  /** A batch that did not reach its slot: these queries were in it. */
  onUndelivered: (slot: number, queries: readonly Query[]) => void;
  log: Logger;
}

export class QueryOutbox {
  private readonly writer: SocketWriter;
  private readonly outbox = new Map<number, number[]>();
  private flushScheduled = false;
  /** What a spare shares the queries by (statecharts/routing.ts SlotLoad). */
  readonly load: { inFlight: number[]; filling: number | null; lastBatch: number | null } = {
    inFlight: [],
    filling: null,
    lastBatch: null,
  };

  constructor(
    socket: Router,
    private readonly pending: ReadonlyMap<number, Outgoing>,
    private readonly options: QueryOutboxOptions,
  ) {
    this.writer = new SocketWriter(socket, (err) => options.log.warn({ err: err.message }, 'query batch not delivered'));
  }

  /** Which slot a query is with, keeping each slot's in-flight count. */
  place(entry: Outgoing, slot: number | null): void {
    const { inFlight } = this.load;
    if (entry.slot !== null) inFlight[entry.slot] = (inFlight[entry.slot] ?? 1) - 1;
    if (slot !== null) inFlight[slot] = (inFlight[slot] ?? 0) + 1;
    entry.slot = slot;
  }

  enqueue(q: number, entry: Outgoing, slot: number): void {
    this.place(entry, slot);
    let batch = this.outbox.get(slot);
    if (!batch) {
      batch = [];
      this.outbox.set(slot, batch);
      this.load.lastBatch = slot;
    }
    batch.push(q);
    this.load.filling = slot;
    if (batch.length >= this.options.maxBatch) {
      this.load.filling = null;
      this.outbox.delete(slot);
      this.sendBatch(slot, batch);
      return;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  close(): void {
    this.writer.close();
  }

  private flush(): void {
    this.flushScheduled = false;
    this.load.filling = null;
    for (const [slot, qs] of this.outbox) this.sendBatch(slot, qs);
    this.outbox.clear();
  }

  private sendBatch(slot: number, qs: number[]): void {
    const queries: Query[] = [];
    const vectors: Buffer[] = [];
    for (const q of qs) {
      const entry = this.pending.get(q);
      if (!entry || entry.slot !== slot) continue;
      if (entry.query.op === 'search' && entry.vector) {
        queries.push({ ...entry.query, v: vectors.length });
        vectors.push(entry.vector);
      } else {
        queries.push(entry.query);
      }
    }
    if (queries.length === 0) return;
    this.options.stats.sent += queries.length;
    this.writer.send([slotRoutingId(slot), ...encodeQueries(queries, vectors, this.liveSeq())], () =>
      this.options.onUndelivered(slot, queries),
    );
  }

  private liveSeq(): number {
    try {
      return this.options.currentSeq?.() ?? 0;
    } catch (err) {
      // Unknown: the child then reads every change there is before answering, never fewer.
      this.options.log.warn({ err }, 'store change seq unreadable; the child catches up in full');
      return Number.MAX_SAFE_INTEGER;
    }
  }
}
